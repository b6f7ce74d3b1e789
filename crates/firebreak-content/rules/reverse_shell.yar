// Interactive shells connected back to a remote host: Bash's /dev/tcp, netcat -e, a
// Python socket duplicated onto the standard descriptors, a Node socket piped into sh.

rule reverse_shell
{
    meta:
        severity = "critical"
        verdict = "malicious"
        description = "opens a reverse shell: a shell whose input and output are a network connection to another host"
        reference = "https://attack.mitre.org/techniques/T1059/"
    strings:
        $bash_tcp = /sh\s+-i\s+[>&]{1,3}\s*\/dev\/tcp\//
        $dev_tcp = /\/dev\/tcp\/[A-Za-z0-9.\-]{1,253}\/[0-9]{2,5}/
        $redirect = "0>&1"
        $netcat = /\bn(c|cat|etcat)\s+([-a-z]+\s+)*-e\s+\/bin\/(ba)?sh/
        $py_dup2 = /os\.dup2\(\s*[A-Za-z_][A-Za-z0-9_.]{0,40}\.fileno\(\)\s*,\s*0\s*\)/
        $py_shell = /(pty\.spawn|subprocess\.call|subprocess\.Popen)\(\s*\[?\s*['"]\/bin\/(ba)?sh/
        $node_spawn = /spawn\(\s*['"]\/bin\/(ba)?sh['"]/
        $node_socket = "net.Socket"
        $node_pipe = /\.stdout\.pipe\(/
    condition:
        $bash_tcp or ($dev_tcp and $redirect) or $netcat or ($py_dup2 and $py_shell)
        or ($node_spawn and $node_socket and $node_pipe)
}
