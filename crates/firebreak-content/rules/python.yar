// Python code execution hidden from a reader: a `.pth` file whose import line runs code
// at every interpreter start (site.py executes such lines), and exec of base64, zlib or
// marshal data, the usual wrapper of malicious PyPI payloads.

rule pth_executes_code
{
    meta:
        severity = "high"
        description = "a .pth file whose import line executes, decodes, spawns or downloads: code that runs at every start of Python, whatever program is started"
        reference = "https://docs.python.org/3/library/site.html"
    strings:
        $import_code = /(^|\n)import[ \t][^\n]{0,2000}(\bexec\s*\(|\beval\s*\(|b64decode|subprocess|urlopen|urllib\.request|os\.system|os\.popen|socket\.)/
    condition:
        file_name matches /\.pth$/ and $import_code
}

rule python_exec_encoded
{
    meta:
        severity = "high"
        description = "executes base64, zlib or marshal data (`exec(b64decode(…))`): a payload kept out of sight"
        reference = "https://attack.mitre.org/techniques/T1027/"
    strings:
        $exec_b64 = /\bexec\s*\(\s*(base64\.)?b64decode\s*\(/
        $exec_import = /\bexec\s*\(\s*__import__\(\s*['"](base64|zlib|marshal|codecs)['"]\s*\)/
        $exec_decompress = /\bexec\s*\(\s*(zlib\.decompress|marshal\.loads)\s*\(\s*(base64\.)?b64decode/
        $exec_compile = /\bexec\s*\(\s*compile\s*\(\s*(base64\.)?b64decode/
    condition:
        any of them
}
