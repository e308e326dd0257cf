"""Text logic: joining dictated text into a document. No Qt here."""
