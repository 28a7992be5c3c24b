@echo off
rem Static IP settings for Local Area Connection.
echo running %~n0.ps1
"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "%~dpn0.ps1"
echo %~n0.ps1 exit code %ERRORLEVEL%
exit /b 0
