// Credential stores of several unrelated tools named in one file: a client of one
// service names its own file, a stealer walks the list.

rule credential_file_harvest
{
    meta:
        severity = "high"
        description = "names the credential files of four or more unrelated tools (npm, SSH, cloud CLIs, Docker, Kubernetes, git, browsers, wallets): a harvesting list"
        reference = "https://attack.mitre.org/techniques/T1552/001/"
    strings:
        $npmrc = ".npmrc"
        $pypirc = ".pypirc"
        $ssh_key = /\.ssh[\/\\]{1,2}id_(rsa|dsa|ecdsa|ed25519)/
        $aws = /\.aws[\/\\]{1,2}credentials/
        $azure = /\.azure[\/\\]{1,2}(accessTokens\.json|msal_token_cache)/
        $gcloud = /gcloud[\/\\]{1,2}(credentials\.db|application_default_credentials\.json)/
        $docker = /\.docker[\/\\]{1,2}config\.json/
        $kube = /\.kube[\/\\]{1,2}config/
        $git = ".git-credentials"
        $browser = /(Google[\/\\]{1,2}Chrome|BraveSoftware|Mozilla[\/\\]{1,2}Firefox)[^'"\n]{0,80}(Login Data|logins\.json|Cookies)/
        $wallet = /(wallet\.dat|exodus\.wallet|Local Extension Settings[\/\\]{1,2}nkbihfbeogaeaoehlefnkodbefgpgknn)/
    condition:
        4 of them
}
