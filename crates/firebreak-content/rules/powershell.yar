// PowerShell started with a base64 command line: the payload is invisible to anyone
// reading the script that starts it. A staple of Windows droppers in npm and PyPI malware.

rule powershell_encoded_command
{
    meta:
        severity = "high"
        description = "starts PowerShell with an encoded command (-EncodedCommand and a base64 block), hiding what it runs"
        reference = "https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_pwsh"
    strings:
        $encoded = /powershell(\.exe)?['"]?[^\n]{0,120}\s[-\/](e|ec|en|enc|enco|encod|encode|encoded|encodedcommand)['"]?[\s,]+['"]?[A-Za-z0-9+\/]{40,}/ nocase
    condition:
        $encoded
}
