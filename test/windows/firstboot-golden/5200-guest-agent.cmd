@echo off
rem Install the guest agent qemu-ga-x86_64.msi.
"%SystemRoot%\System32\msiexec.exe" /i "%~dp0..\agent\qemu-ga-x86_64.msi" /qn /norestart /l*v "%~dp0..\qemu-ga-x86_64.msi.log"
set RC=%ERRORLEVEL%
if "%RC%"=="3010" set RC=0
echo msiexec exit code %RC%
exit /b %RC%
