// Hard-coded chat endpoints with their credentials: a Discord webhook URL or a Telegram
// bot token needs no server of the attacker's, so stealers post what they take there.

rule chat_webhook_exfiltration
{
    meta:
        severity = "high"
        description = "carries a Discord webhook URL or a Telegram bot token: a ready channel to post stolen data to"
        reference = "https://attack.mitre.org/techniques/T1567/"
    strings:
        $discord = /discord(app)?\.com\/api\/webhooks\/[0-9]{17,20}\/[A-Za-z0-9_\-]{60,70}/
        $telegram = /api\.telegram\.org\/bot[0-9]{8,10}:[A-Za-z0-9_\-]{35}/
    condition:
        any of them
}
