// Self-spreading npm malware: steal tokens with a secret scanner, then use them to
// publish through GitHub. Written from the public analyses of Shai-Hulud (September
// 2025) and its second wave (November 2025).

rule shai_hulud_worm
{
    meta:
        severity = "critical"
        verdict = "malicious"
        description = "runs the TruffleHog secret scanner and writes a GitHub Actions workflow or repository through the GitHub API: how the Shai-Hulud worm stole tokens and spread"
        reference = "https://github.com/advisories/GHSA-96xf-5h7m-6w8v"
    strings:
        $trufflehog = "trufflehog" nocase
        $workflow = ".github/workflows/"
        $api_host = "api.github.com"
        $api_repos = "/user/repos"
        $api_contents = /\/repos\/[^\s'"`]{1,200}\/contents\//
        $marker1 = "Shai-Hulud" nocase
        $marker2 = "Sha1-Hulud" nocase
    condition:
        $trufflehog and $workflow and (any of ($api_*) or any of ($marker*))
}
