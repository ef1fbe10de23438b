"""Network cards ("netwerkkaart") and the network wall ("digitale netwerkmuur")."""
