//! Request types both the citizen and the staff handlers take.

use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::AppResult;
use crate::validate::{Check, Validate};

#[derive(Debug, Deserialize, ToSchema)]
pub struct MessageRequest {
    #[schema(required = true, example = "Đèn vẫn chưa sáng tối nay.")]
    pub message: Option<String>,
}

impl Validate for MessageRequest {
    fn validate(&self) -> AppResult<()> {
        let mut c = Check::new();
        c.text("message", &self.message, 2000);
        c.finish()
    }
}

impl MessageRequest {
    /// The message, trimmed (`validate` made sure there is one).
    pub fn text(&self) -> String {
        self.message
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}
