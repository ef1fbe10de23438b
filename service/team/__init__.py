"""The organising team: invitations to a colleague, password resets by mail, the admin page."""
