-- When every session of the user was last ended at once (sign-out everywhere, password reset or
-- change, deletion, a staff lock). A signed link made for a request from before that moment
-- (a data export's download) no longer opens: whoever held the old sessions may have asked
-- for it.
ALTER TABLE users ADD COLUMN sessions_revoked_at TEXT;
