"""Where models come from: the bundled defaults and user-chosen paths. No Qt here."""
