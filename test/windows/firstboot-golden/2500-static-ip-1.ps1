# Static IP settings of the old adapter 'Local Area Connection', put on the new adapter with MAC 00-50-56-AA-BB-CC.
$ErrorActionPreference = 'Continue'
$adapter = $null
for ($i = 0; $i -lt 60 -and $null -eq $adapter; $i++) {
  $adapter = Get-NetAdapter -Physical -ErrorAction SilentlyContinue | Where-Object { $_.MacAddress -eq '00-50-56-AA-BB-CC' } | Select-Object -First 1
  if ($null -eq $adapter) { Start-Sleep -Seconds 5 }
}
if ($null -eq $adapter) { Write-Output 'no matching network adapter appeared in 5 minutes; static settings not applied'; exit 1 }
Write-Output ('adapter ' + $adapter.Name + ' ' + $adapter.MacAddress)
$index = $adapter.ifIndex
Set-NetIPInterface -InterfaceIndex $index -Dhcp Disabled
New-NetIPAddress -InterfaceIndex $index -IPAddress '192.168.1.123' -PrefixLength 24 -DefaultGateway '192.168.1.1'
Set-DnsClientServerAddress -InterfaceIndex $index -ServerAddresses @('192.168.1.112')
Get-NetIPConfiguration -InterfaceIndex $index
exit 0
