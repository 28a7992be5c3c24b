// The optional first-boot scripts, each one file in C:\Program Files\rehost\scripts that the
// runner calls in name order (NNNN-name.cmd; a PowerShell body sits next to its .cmd wrapper as
// NNNN-name.ps1 and is run with -ExecutionPolicy Bypass, as virt-v2v does). Every script logs
// what it does and ends with `exit /b`, so one failure never stops the runner:
//  - uninstall-msi: msiexec /x {product} /qn /norestart REBOOT=ReallySuppress (virt-v2v's
//    silent switches; 3010 counts as success; VMware's uninstaller often fails with 1603 off
//    VMware — the log says so and the offline Start=4 of its drivers is the real safety);
//  - online-disks: diskpart `san policy=OnlineAll`, then every offline or read-only disk
//    online (Windows Server 2019+ takes non-boot disks offline when their bus changes,
//    virt-v2v PR #57);
//  - static-ip: the old adapter's addresses, gateway and DNS servers on the new adapter found
//    by MAC (Windows keeps them on the old adapter instance, conversion-facts §a.8), waiting up
//    to 5 minutes for the adapter to appear (its driver is installed by the same first boot);
//  - guest-agent: msiexec /i the staged agent MSI.

import { UnsupportedError } from '../../errors.js';
import { commentText, crlfText, psQuote } from './text.js';
import { FIRSTBOOT_AGENT } from './paths.js';
import type { FirstbootAction } from './types.js';

export interface ScriptFile {
  /** File name in the scripts folder. */
  name: string;
  content: Uint8Array;
}

const GUID = /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;
const MAC = /^([0-9A-F]{2}-){5}[0-9A-F]{2}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const SAFE_NAME = /^[0-9]{4}-[a-z0-9-]+$/;

function checkIp(ip: string): string {
  const v4 = IPV4.exec(ip);
  if (v4 ? v4.slice(1).every((o) => Number(o) <= 255) : IPV6.test(ip) && ip.includes(':')) return ip;
  throw new UnsupportedError(`not an IP address: ${JSON.stringify(ip)}`, { path: ip });
}

function powershellWrapper(title: string): string[] {
  return [
    '@echo off',
    `rem ${title}`,
    'echo running %~n0.ps1',
    '"%SystemRoot%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "%~dpn0.ps1"',
    'echo %~n0.ps1 exit code %ERRORLEVEL%',
    'exit /b 0',
  ];
}

function uninstallMsi(action: Extract<FirstbootAction, { type: 'uninstall-msi' }>): string[] {
  if (!GUID.test(action.productCode)) throw new UnsupportedError(`not an MSI product code: ${JSON.stringify(action.productCode)}`);
  const name = commentText(action.displayName);
  return [
    '@echo off',
    `rem Remove ${name} (MSI product ${action.productCode}) without a restart.`,
    `echo uninstalling ${name} ${action.productCode}`,
    `"%SystemRoot%\\System32\\msiexec.exe" /x ${action.productCode} /qn /norestart REBOOT=ReallySuppress /l*v "%~dp0..\\uninstall-${action.productCode.slice(1, 9).toLowerCase()}.log"`,
    'set RC=%ERRORLEVEL%',
    'if "%RC%"=="3010" set RC=0',
    `if not "%RC%"=="0" echo msiexec exit code %RC%: ${name} is still installed; its drivers stay disabled (Start=4)`,
    'exit /b %RC%',
  ];
}

function onlineDisks(): string[] {
  return [
    '@echo off',
    'rem Windows Server 2019 and later take non-boot disks offline when their bus changes.',
    '>"%~dpn0.diskpart" echo san policy=OnlineAll',
    '"%SystemRoot%\\System32\\diskpart.exe" /s "%~dpn0.diskpart"',
    'echo diskpart exit code %ERRORLEVEL%',
    '"%SystemRoot%\\System32\\WindowsPowerShell\\v1.0\\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "Get-Disk | Where-Object IsOffline | Set-Disk -IsOffline $false; Get-Disk | Where-Object IsReadOnly | Set-Disk -IsReadOnly $false; Get-Disk | Format-Table -AutoSize Number,FriendlyName,OperationalStatus,IsOffline,IsReadOnly"',
    'echo online disks exit code %ERRORLEVEL%',
    'exit /b 0',
  ];
}

function staticIpPs1(action: Extract<FirstbootAction, { type: 'static-ip' }>): string[] {
  if (action.mac !== '' && !MAC.test(action.mac)) throw new UnsupportedError(`not a MAC address (AA-BB-CC-DD-EE-FF): ${JSON.stringify(action.mac)}`);
  if (action.addresses.length === 0) throw new UnsupportedError('a static-ip script needs at least one address');
  const find =
    action.mac === ''
      ? '$found = @(Get-NetAdapter -Physical -ErrorAction SilentlyContinue); if ($found.Count -eq 1) { $adapter = $found[0] }'
      : `$adapter = Get-NetAdapter -Physical -ErrorAction SilentlyContinue | Where-Object { $_.MacAddress -eq ${psQuote(action.mac)} } | Select-Object -First 1`;
  const lines = [
    `# Static IP settings of the old adapter ${psQuote(commentText(action.connection))}, put on the new adapter ${action.mac === '' ? '(the only physical adapter)' : `with MAC ${action.mac}`}.`,
    "$ErrorActionPreference = 'Continue'",
    '$adapter = $null',
    'for ($i = 0; $i -lt 60 -and $null -eq $adapter; $i++) {',
    `  ${find}`,
    '  if ($null -eq $adapter) { Start-Sleep -Seconds 5 }',
    '}',
    `if ($null -eq $adapter) { Write-Output 'no matching network adapter appeared in 5 minutes; static settings not applied'; exit 1 }`,
    "Write-Output ('adapter ' + $adapter.Name + ' ' + $adapter.MacAddress)",
    '$index = $adapter.ifIndex',
    'Set-NetIPInterface -InterfaceIndex $index -Dhcp Disabled',
  ];
  action.addresses.forEach((address, i) => {
    if (!Number.isInteger(address.prefixLength) || address.prefixLength < 0 || address.prefixLength > 128) throw new UnsupportedError(`bad prefix length ${address.prefixLength}`);
    const gateway = i === 0 && action.gateways[0] !== undefined ? ` -DefaultGateway ${psQuote(checkIp(action.gateways[0]))}` : '';
    lines.push(`New-NetIPAddress -InterfaceIndex $index -IPAddress ${psQuote(checkIp(address.ip))} -PrefixLength ${address.prefixLength}${gateway}`);
  });
  if (action.dns.length > 0) lines.push(`Set-DnsClientServerAddress -InterfaceIndex $index -ServerAddresses @(${action.dns.map((d) => psQuote(checkIp(d))).join(', ')})`);
  lines.push('Get-NetIPConfiguration -InterfaceIndex $index', 'exit 0');
  return lines;
}

function guestAgent(action: Extract<FirstbootAction, { type: 'guest-agent' }>): string[] {
  if (!/^[A-Za-z0-9._-]+\.msi$/.test(action.msi)) throw new UnsupportedError(`not an MSI file name: ${JSON.stringify(action.msi)}`);
  return [
    '@echo off',
    `rem Install the guest agent ${action.msi}.`,
    `"%SystemRoot%\\System32\\msiexec.exe" /i "%~dp0..\\${FIRSTBOOT_AGENT}\\${action.msi}" /qn /norestart /l*v "%~dp0..\\${action.msi}.log"`,
    'set RC=%ERRORLEVEL%',
    'if "%RC%"=="3010" set RC=0',
    'echo msiexec exit code %RC%',
    'exit /b %RC%',
  ];
}

/** The files of one optional script, named `<name>.cmd` (and `<name>.ps1`). */
export function renderAction(args: { name: string; action: FirstbootAction }): ScriptFile[] {
  const { name, action } = args;
  if (!SAFE_NAME.test(name)) throw new UnsupportedError(`first-boot script names are NNNN-lowercase-words, not ${JSON.stringify(name)}`);
  switch (action.type) {
    case 'uninstall-msi':
      return [{ name: `${name}.cmd`, content: crlfText(uninstallMsi(action)) }];
    case 'online-disks':
      return [{ name: `${name}.cmd`, content: crlfText(onlineDisks()) }];
    case 'static-ip':
      return [
        { name: `${name}.cmd`, content: crlfText(powershellWrapper(`Static IP settings for ${commentText(action.connection)}.`)) },
        { name: `${name}.ps1`, content: crlfText(staticIpPs1(action)) },
      ];
    case 'guest-agent':
      return [{ name: `${name}.cmd`, content: crlfText(guestAgent(action)) }];
  }
}
