// Coding assistants' command-line tools driven with their safety checks off to search
// the machine for secrets. Written from the public analyses of the nx "s1ngularity"
// compromise (August 2025), whose postinstall ran Claude, Gemini and Amazon Q this way.

rule ai_cli_secret_hunt
{
    meta:
        severity = "critical"
        verdict = "malicious"
        description = "starts AI coding assistants with their permission checks disabled (--dangerously-skip-permissions, --yolo, --trust-all-tools) and asks for wallets, keys and secrets: the nx s1ngularity stealer"
        reference = "https://github.com/nrwl/nx/security/advisories/GHSA-cxm3-wv7p-598c"
    strings:
        $flag_claude = "--dangerously-skip-permissions"
        $flag_gemini = "--yolo"
        $flag_q = "--trust-all-tools"
        $loot_wallet = "wallet" nocase
        $loot_keystore = "keystore" nocase
        $loot_mnemonic = "mnemonic" nocase
        $loot_metamask = "metamask" nocase
        $loot_ssh = "id_rsa"
    condition:
        2 of ($flag_*) and 3 of ($loot_*)
}
