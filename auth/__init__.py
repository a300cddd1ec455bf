"""Users, roles' page permissions and the login that guards every route but a few public ones."""
