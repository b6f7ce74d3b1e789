// A script downloaded and handed straight to a shell or to PowerShell's Invoke-Expression:
// nothing is written to disk for anyone to read first. The well-known installers (rustup,
// Docker, nvm, Poetry, uv, bun, pnpm, NodeSource) are left out; a package piping them is
// unusual but not a dropper.

rule remote_script_piped_to_shell
{
    meta:
        severity = "medium"
        description = "downloads a script and pipes it into a shell (`curl … | sh`) or into Invoke-Expression, running code nobody has read"
        reference = "https://attack.mitre.org/techniques/T1105/"
    strings:
        $curl_sh = /\b(curl|wget)\s[^\n|;]{0,200}\|\s*(sudo\s+)?(ba|z|da)?sh\b/
        $iwr_iex = /(iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString)[^\n]{0,200}\|\s*(iex|Invoke-Expression)\b/ nocase
        $iex_download = /(iex|Invoke-Expression)\s*\(?\s*\(?\s*New-Object\s+(System\.)?Net\.WebClient\)?\.DownloadString/ nocase
        $known = /(sh\.rustup\.rs|get\.docker\.com|install\.python-poetry\.org|nvm-sh\/nvm|deb\.nodesource\.com|rpm\.nodesource\.com|bun\.sh\/install|astral\.sh\/uv|get\.pnpm\.io|sdkman\.io|brew\.sh|Homebrew\/install)/
    condition:
        any of ($curl_sh, $iwr_iex, $iex_download) and not $known
}
