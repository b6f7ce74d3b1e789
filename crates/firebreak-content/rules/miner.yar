// Cryptocurrency miners started from a package. Written from the ua-parser-js (October
// 2021) and ultralytics (December 2024) compromises, which both ran XMRig.

rule crypto_miner
{
    meta:
        severity = "high"
        description = "names a mining pool protocol or XMRig's command-line options: starts a cryptocurrency miner"
        reference = "https://github.com/advisories/GHSA-pjwm-rvh2-c87w"
    strings:
        $stratum = /stratum\+(tcp|ssl|tls):\/\//
        $xmrig = "xmrig" nocase
        $donate = "--donate-level"
        $rig_id = "--rig-id"
        $threads = "--cpu-max-threads-hint"
        $pool = /(supportxmr\.com|moneroocean\.stream|minexmr\.com|nanopool\.org|2miners\.com|hashvault\.pro|c3pool\.com|herominers\.com|unmineable\.com)/
    condition:
        $stratum or ($xmrig and any of ($donate, $rig_id, $threads, $pool)) or 2 of ($donate, $rig_id, $threads, $pool)
}
