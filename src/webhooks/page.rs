//! One endpoint with a page of its deliveries, as staff open it in the console.

use uuid::Uuid;

use super::{Delivery, Endpoint, Webhooks};
use crate::audit::Actor;
use crate::error::Error;

/// An endpoint and its deliveries, newest event first.
#[derive(Debug)]
pub struct EndpointPage {
    pub endpoint: Endpoint,
    pub deliveries: Vec<Delivery>,
    /// The last event id of this page, when there are more.
    pub next_cursor: Option<String>,
}

impl Webhooks {
    /// The endpoint (404 when there is none) and one page of its deliveries; both reads are
    /// audited, as through the API.
    pub async fn endpoint_page(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: u32,
        cursor: Option<Uuid>,
    ) -> Result<EndpointPage, Error> {
        let endpoint = self.get(actor, id).await?;
        let (deliveries, next_cursor) = self.deliveries(actor, id, limit, cursor).await?;
        Ok(EndpointPage { endpoint, deliveries, next_cursor })
    }
}
