// Browser code that swaps crypto addresses in transactions. Written from the public
// analyses of the chalk/debug compromise (September 2025): an obfuscated block appended to
// the libraries hooked fetch, XMLHttpRequest and window.ethereum and carried long lists of
// attacker addresses.

rule browser_wallet_address_swap
{
    meta:
        severity = "critical"
        verdict = "malicious"
        description = "obfuscated code with a list of hard-coded Ethereum addresses that hooks wallet transactions and the page's requests: the address-swapping payload of the September 2025 chalk/debug releases"
        reference = "https://github.com/debug-js/debug/issues/1005"
    strings:
        $address = /['"]0x[0-9a-fA-F]{40}['"]/
        $send_transaction = "eth_sendTransaction"
        $ethereum = "ethereum"
        $fetch = "fetch"
        $xhr = "XMLHttpRequest"
        $hex_identifier = /_0x[0-9a-f]{4,6}\b/
    condition:
        #address >= 10 and $send_transaction and $ethereum and ($fetch or $xhr) and #hex_identifier >= 20
}
