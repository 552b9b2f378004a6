-- "Remember me" (POST /v1/auth/login remember_me): such a session may live
-- identity.session_remember_days instead of session_absolute_hours, and only that absolute end
-- applies (no idle timeout shorter than it). The MFA challenge carries the choice to the
-- session its second step opens.
ALTER TABLE sessions ADD COLUMN remember BIGINT NOT NULL DEFAULT 0;
ALTER TABLE mfa_challenges ADD COLUMN remember BIGINT NOT NULL DEFAULT 0;
