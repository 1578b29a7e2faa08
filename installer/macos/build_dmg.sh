#!/usr/bin/env bash
# Build "Agent Desk.app" with PyInstaller and wrap it in a compressed, signed (when an identity
# is given) disk image with an Applications link.
#   installer/macos/build_dmg.sh [VERSION]
# Environment: CODESIGN_IDENTITY (optional, "Developer ID Application: ..."), NOTARY_PROFILE
# (optional, a notarytool keychain profile).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${1:-0.1.0}"
APP="dist/Agent Desk.app"
DMG="dist/AgentDesk-${VERSION}.dmg"

python3 -m pip install --quiet pyinstaller
pyinstaller installer/agent_desk.spec --noconfirm

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
  codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi

STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Agent Desk ${VERSION}" -srcfolder "$STAGE" -fs HFS+ -format UDZO "$DMG"

if [[ -n "${CODESIGN_IDENTITY:-}" ]]; then
  codesign --sign "$CODESIGN_IDENTITY" --timestamp "$DMG"
fi
if [[ -n "${NOTARY_PROFILE:-}" ]]; then
  xcrun notarytool submit "$DMG" --keychain-profile "$NOTARY_PROFILE" --wait
  xcrun stapler staple "$DMG"
fi
echo "built $DMG"
