document.title = "sri";
