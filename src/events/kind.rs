//! The event types tresor publishes: one enum, so a new capability adds its variants here and
//! every consumer (webhook subscriptions, OpenAPI `webhooks`, the live feed) knows them.

use serde::{Deserialize, Serialize};

macro_rules! event_types {
    ($($variant:ident => $name:literal, $summary:literal;)*) => {
        /// What happened. Serialised as its dotted name (`transaction.posted`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum EventType {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl EventType {
            /// Every type, in the order the API documents them.
            pub const ALL: &'static [EventType] = &[$(EventType::$variant,)*];

            pub fn name(self) -> &'static str {
                match self {
                    $(EventType::$variant => $name,)*
                }
            }

            /// One line for the OpenAPI `webhooks` entry.
            pub fn summary(self) -> &'static str {
                match self {
                    $(EventType::$variant => $summary,)*
                }
            }

            pub fn parse(raw: &str) -> Option<Self> {
                match raw {
                    $($name => Some(EventType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

event_types! {
    UserRegistered => "user.registered", "A user registered (or was invited by staff).";
    UserEmailVerified => "user.email_verified", "A user verified their email address.";
    KycSubmitted => "kyc.submitted", "A user submitted their KYC documents for review.";
    KycApproved => "kyc.approved", "A KYC review approved the user.";
    KycRejected => "kyc.rejected", "A KYC review rejected the user.";
    DocumentScanned => "document.scanned", "A document's scan finished (accepted or rejected).";
    AccountOpened => "account.opened", "An account was opened.";
    AccountFrozen => "account.frozen", "Staff froze an account.";
    AccountUnfrozen => "account.unfrozen", "Staff unfroze an account.";
    AccountClosed => "account.closed", "Staff closed an account.";
    TransactionPosted => "transaction.posted", "A transaction posted to an account (every kind; a transfer posts one per account).";
    HoldCreated => "hold.created", "Money was reserved on an account (a card authorization): available balance went down.";
    HoldCaptured => "hold.captured", "A hold was captured (fully or partly): its amount posted, the rest is available again.";
    HoldReleased => "hold.released", "A hold ended without posting: released, or expired (`status` says which).";
    CardCreated => "card.created", "A virtual debit card was issued (its id, account and status; never its number).";
    CardFrozen => "card.frozen", "A card was frozen: its authorizations are declined.";
    CaseOpened => "case.opened", "A case was opened for staff (a flagged transfer).";
    CaseResolved => "case.resolved", "Staff resolved a case.";
    SecurityAlert => "security.alert", "Something security-relevant happened to a user (failed sign-in, lockout, token reuse, ...).";
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    #[test]
    fn names_round_trip_and_serialise_dotted() {
        for kind in EventType::ALL {
            assert_eq!(EventType::parse(kind.name()), Some(*kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(kind.name()));
        }
        assert_eq!(EventType::parse("transaction.unknown"), None);
    }
}
