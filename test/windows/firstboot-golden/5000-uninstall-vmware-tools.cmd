@echo off
rem Remove VMware Tools (MSI product {4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}) without a restart.
echo uninstalling VMware Tools {4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7}
"%SystemRoot%\System32\msiexec.exe" /x {4F2C6C7E-6A2B-4E7C-9F5B-0000000000A7} /qn /norestart REBOOT=ReallySuppress /l*v "%~dp0..\uninstall-4f2c6c7e.log"
set RC=%ERRORLEVEL%
if "%RC%"=="3010" set RC=0
if not "%RC%"=="0" echo msiexec exit code %RC%: VMware Tools is still installed; its drivers stay disabled (Start=4)
exit /b %RC%
