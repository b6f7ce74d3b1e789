// The string-array rotation that obfuscator.io (javascript-obfuscator) emits: every
// string of the program moved into one array, rotated at start-up by a loop of
// push(shift()). Malicious npm payloads use it more than any other obfuscator.

rule obfuscator_io_string_array
{
    meta:
        severity = "medium"
        description = "obfuscator.io string-array rotation (push/shift loop over an _0x array): the program's strings are hidden from a reader"
        reference = "https://github.com/javascript-obfuscator/javascript-obfuscator"
    strings:
        $rotate = /_0x[0-9a-f]{4,6}\[['"]push['"]\]\(_0x[0-9a-f]{4,6}\[['"]shift['"]\]\(\)\)/
        $loop = "while(!![])"
        $hex_identifier = /_0x[0-9a-f]{4,6}\b/
    condition:
        ($rotate or $loop) and #hex_identifier >= 20
}
