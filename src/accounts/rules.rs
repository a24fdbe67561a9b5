//! Rules on account fields, shared by every way an account is made.

use super::identity::normalize_phone;
use crate::auth::Role;
use crate::auth::password;
use crate::messages::Msg;
use crate::validate::{Check, nonblank};

/// The rules every new account follows, registering or created by an admin:
/// a phone or an email (`missing` names the field to blame when neither is
/// given), a valid phone and email, a name, and a password that passes the
/// policy without being built from the person's own details.
pub fn check_new_account(
    c: &mut Check,
    phone: &Option<String>,
    email: &Option<String>,
    full_name: &Option<String>,
    password: &Option<String>,
    missing: &str,
) {
    let (phone, email) = (nonblank(phone), nonblank(email));
    if phone.is_none() && email.is_none() {
        c.add(missing, Msg::PhoneOrEmailRequired);
    }
    if let Some(p) = &phone
        && normalize_phone(p).is_none()
    {
        c.add("phone", Msg::InvalidPhone);
    }
    if let Some(e) = &email {
        c.email("email", e);
    }
    let name = c.text("full_name", full_name, 255).map(str::to_owned);
    if let Some(pw) = c.required("password", password) {
        let inputs: Vec<&str> = [phone.as_deref(), email.as_deref(), name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if let Err(msg) = password::check_policy(pw, &inputs) {
            c.add("password", msg);
        }
    }
}

/// A role an admin may give a staff account (never `citizen`).
pub fn staff_role(s: &str) -> Option<Role> {
    Role::parse(s).filter(|r| r.is_staff())
}

/// Officers and coordinators belong to a unit; only admins may have none.
pub fn needs_unit(role: Role) -> bool {
    role != Role::Admin
}
