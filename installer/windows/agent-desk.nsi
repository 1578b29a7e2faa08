; Windows installer for Agent Desk (NSIS 3). installer/build.py runs it after PyInstaller:
;
;   makensis /DVERSION=0.2.0 "/DSOURCE_DIR=dist\Agent Desk" ^
;            /DOUTFILE=dist\agent-desk-0.2.0-windows-x64-setup.exe ^
;            /DICON=installer\build\icons\agent-desk.ico installer\windows\agent-desk.nsi
;
; VERSION is required; SOURCE_DIR, OUTFILE and ICON default to the paths build.py uses.
; installer/check_nsis.py compiles this script against a staged folder on any machine with
; makensis (Debian: nsis).
;
; - Per user, without admin rights: $LOCALAPPDATA\Programs\Agent Desk, a Start-menu entry, and
;   the uninstaller in Apps & features under HKCU.
; - An upgrade replaces the program files and leaves the user's data alone: the local cache
;   (%LOCALAPPDATA%\agent-desk, platformdirs' user_data_dir) and the settings (QSettings, in
;   HKCU\Software\Agent Desk\Agent Desk) are never under the install folder.
; - The uninstaller removes the program and keeps the data, unless "Remove my data" is ticked
;   on its components page. Silent (/S) installs and uninstalls work; a silent uninstall always
;   keeps the data.

Unicode true
ManifestDPIAware true

;--- What build.py passes in -------------------------------------------------------------------
!ifndef VERSION
  !error "Pass the version: makensis /DVERSION=x.y.z agent-desk.nsi (build.py does)"
!endif
!ifndef FILE_VERSION
  ; Windows' version resource wants four numbers; build.py passes them for any PEP 440 version.
  !define FILE_VERSION "${VERSION}.0"
!endif
!ifndef SOURCE_DIR
  !define SOURCE_DIR "..\..\dist\Agent Desk"
!endif
!ifndef OUTFILE
  !define OUTFILE "..\..\dist\agent-desk-${VERSION}-windows-x64-setup.exe"
!endif
!ifndef ICON
  !define ICON "..\build\icons\agent-desk.ico"
!endif

;--- Names -------------------------------------------------------------------------------------
!define APPNAME "Agent Desk"
!define PUBLISHER "Agent Desk"
!define EXE "Agent Desk.exe"
!define CLI_EXE "agent-desk-cli.exe"
!define OLD_EXE "agent-desk.exe" ; the windowed exe's name before 0.2.0
!define UNINSTALLER "uninstall.exe"
!define UNINSTKEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\AgentDesk"
; The user's data, which only "Remove my data" deletes:
!define DATA_DIR "$LOCALAPPDATA\agent-desk"          ; agent_desk/client/cache_db.py
!define SETTINGS_KEY "Software\Agent Desk\Agent Desk" ; agent_desk/ui/settings.py (QSettings)
!define SETTINGS_PARENT "Software\Agent Desk"

Name "${APPNAME}"
Caption "${APPNAME} ${VERSION} Setup"
BrandingText "${APPNAME} ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
SilentInstall normal
SilentUnInstall normal
InstallDir "$LOCALAPPDATA\Programs\${APPNAME}"
InstallDirRegKey HKCU "${UNINSTKEY}" "InstallLocation"
SetCompressor /SOLID lzma

VIProductVersion "${FILE_VERSION}"
VIFileVersion "${FILE_VERSION}"
VIAddVersionKey /LANG=0 "ProductName" "${APPNAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${APPNAME} ${VERSION} Setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "${PUBLISHER}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

;--- Pages -------------------------------------------------------------------------------------
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${EXE}"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_COMPONENTSPAGE_NODESC
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "German"
!insertmacro MUI_LANGUAGE "Spanish"
!insertmacro MUI_LANGUAGE "French"

LangString NeedsX64 ${LANG_ENGLISH} "${APPNAME} needs 64-bit Windows."
LangString NeedsX64 ${LANG_GERMAN} "${APPNAME} benötigt 64-Bit-Windows."
LangString NeedsX64 ${LANG_SPANISH} "${APPNAME} necesita Windows de 64 bits."
LangString NeedsX64 ${LANG_FRENCH} "${APPNAME} nécessite Windows 64 bits."
LangString ProgramSection ${LANG_ENGLISH} "Program"
LangString ProgramSection ${LANG_GERMAN} "Programm"
LangString ProgramSection ${LANG_SPANISH} "Programa"
LangString ProgramSection ${LANG_FRENCH} "Programme"
LangString DataSection ${LANG_ENGLISH} "Remove my data (local cache and settings)"
LangString DataSection ${LANG_GERMAN} "Meine Daten entfernen (lokaler Cache und Einstellungen)"
LangString DataSection ${LANG_SPANISH} "Eliminar mis datos (caché local y ajustes)"
LangString DataSection ${LANG_FRENCH} "Supprimer mes données (cache local et réglages)"

;--- Install -----------------------------------------------------------------------------------
Function .onInit
  SetShellVarContext current
  ${IfNot} ${RunningX64}
    IfSilent +2
      MessageBox MB_ICONSTOP|MB_OK "$(NeedsX64)"
    SetErrorLevel 2
    Abort
  ${EndIf}
FunctionEnd

Section "Install"
  SetShellVarContext current
  ; An upgrade: remove the older version's program files (only those), so nothing stale stays.
  ; The user's data is elsewhere (DATA_DIR, SETTINGS_KEY) and is not touched.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${OLD_EXE}"
  Delete "$INSTDIR\${UNINSTALLER}"

  SetOutPath "$INSTDIR"
  File /r "${SOURCE_DIR}\*"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  CreateShortcut "$SMPROGRAMS\${APPNAME}.lnk" "$INSTDIR\${EXE}" "" "$INSTDIR\${EXE}" 0

  WriteRegStr HKCU "${UNINSTKEY}" "DisplayName" "${APPNAME}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTKEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINSTKEY}" "DisplayIcon" "$INSTDIR\${EXE},0"
  WriteRegStr HKCU "${UNINSTKEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTKEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINSTKEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTKEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINSTKEY}" "EstimatedSize" "$0"
SectionEnd

;--- Uninstall ---------------------------------------------------------------------------------
Section "un.$(ProgramSection)" SEC_PROGRAM
  SectionIn RO
  SetShellVarContext current
  Delete "$SMPROGRAMS\${APPNAME}.lnk"
  ; Only the program's own files, so a folder the user picked keeps anything else in it.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${OLD_EXE}"
  Delete "$INSTDIR\${UNINSTALLER}"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTKEY}"
SectionEnd

; Unticked unless the user ticks it: the cache may hold outcomes not yet synced to the hub.
Section /o "un.$(DataSection)" SEC_DATA
  RMDir /r "${DATA_DIR}"
  DeleteRegKey HKCU "${SETTINGS_KEY}"
  DeleteRegKey /ifempty HKCU "${SETTINGS_PARENT}"
SectionEnd

Function un.onInit
  SetShellVarContext current
  ; A silent uninstall (/S) never removes the data: nobody ticked the box.
  IfSilent 0 interactive
    !insertmacro UnselectSection ${SEC_DATA}
  interactive:
FunctionEnd
