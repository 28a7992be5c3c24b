@echo off
rem Windows Server 2019 and later take non-boot disks offline when their bus changes.
>"%~dpn0.diskpart" echo san policy=OnlineAll
"%SystemRoot%\System32\diskpart.exe" /s "%~dpn0.diskpart"
echo diskpart exit code %ERRORLEVEL%
"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command "Get-Disk | Where-Object IsOffline | Set-Disk -IsOffline $false; Get-Disk | Where-Object IsReadOnly | Set-Disk -IsReadOnly $false; Get-Disk | Format-Table -AutoSize Number,FriendlyName,OperationalStatus,IsOffline,IsReadOnly"
echo online disks exit code %ERRORLEVEL%
exit /b 0
