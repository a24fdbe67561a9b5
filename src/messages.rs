//! Every sentence the API says to a person, in Vietnamese and English.
//!
//! One enum so that a message can be created anywhere and rendered later in the
//! request's language; one `match` per language so a missing translation is a
//! compile error.

use crate::i18n::Locale;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    // Problem titles and details.
    NotFound,
    RouteNotFound,
    MethodNotAllowed,
    Unauthorized,
    TokenExpired,
    InvalidToken,
    InvalidCredentials,
    InvalidRefreshToken,
    Forbidden,
    MalformedJson(String),
    UnsupportedContentType,
    PayloadTooLarge,
    RequestTimeout,
    TooManyRequests { retry_after: u64 },
    ValidationFailed,
    BadRequest,
    PhoneTaken,
    EmailTaken,
    Conflict,
    Internal,
    ServiceUnavailable,
    // Field messages.
    Required,
    InvalidType(String),
    TooShort { min: u64 },
    TooLong { max: u64 },
    InvalidEmail,
    InvalidPhone,
    PasswordTooCommon,
    PhoneOrEmailRequired,
    InvalidLocale,
    InvalidValue,
}

impl Msg {
    pub fn render(&self, locale: Locale) -> String {
        match locale {
            Locale::Vi => self.vi(),
            Locale::En => self.en(),
        }
    }

    fn vi(&self) -> String {
        use Msg::*;
        match self {
            NotFound => "Không tìm thấy tài nguyên được yêu cầu.".into(),
            RouteNotFound => "Đường dẫn không tồn tại.".into(),
            MethodNotAllowed => "Phương thức không được hỗ trợ cho đường dẫn này.".into(),
            Unauthorized => "Cần đăng nhập: thiếu hoặc sai mã truy cập.".into(),
            TokenExpired => "Mã truy cập đã hết hạn.".into(),
            InvalidToken => "Mã truy cập không hợp lệ.".into(),
            InvalidCredentials => "Tên đăng nhập hoặc mật khẩu không đúng.".into(),
            InvalidRefreshToken => "Mã làm mới không hợp lệ hoặc đã hết hạn.".into(),
            Forbidden => "Bạn không có quyền thực hiện thao tác này.".into(),
            MalformedJson(d) => format!("Nội dung JSON không hợp lệ: {d}"),
            UnsupportedContentType => "Nội dung phải có Content-Type: application/json.".into(),
            PayloadTooLarge => "Nội dung yêu cầu quá lớn.".into(),
            RequestTimeout => "Yêu cầu xử lý quá thời gian cho phép.".into(),
            TooManyRequests { retry_after } => {
                format!("Quá nhiều yêu cầu. Vui lòng thử lại sau {retry_after} giây.")
            }
            ValidationFailed => "Dữ liệu gửi lên không hợp lệ.".into(),
            BadRequest => "Yêu cầu không hợp lệ.".into(),
            PhoneTaken => "Số điện thoại đã được đăng ký.".into(),
            EmailTaken => "Email đã được đăng ký.".into(),
            Conflict => "Dữ liệu xung đột với trạng thái hiện tại.".into(),
            Internal => "Đã xảy ra lỗi hệ thống. Vui lòng thử lại sau.".into(),
            ServiceUnavailable => "Dịch vụ tạm thời không sẵn sàng.".into(),
            Required => "Trường này là bắt buộc.".into(),
            InvalidType(d) => format!("Giá trị không đúng kiểu: {d}"),
            TooShort { min } => format!("Phải có ít nhất {min} ký tự."),
            TooLong { max } => format!("Không được dài quá {max} ký tự."),
            InvalidEmail => "Địa chỉ email không hợp lệ.".into(),
            InvalidPhone => "Số điện thoại không hợp lệ.".into(),
            PasswordTooCommon => {
                "Mật khẩu quá phổ biến hoặc dễ đoán; hãy chọn mật khẩu khác.".into()
            }
            PhoneOrEmailRequired => "Cần ít nhất số điện thoại hoặc email.".into(),
            InvalidLocale => "Ngôn ngữ phải là 'vi' hoặc 'en'.".into(),
            InvalidValue => "Giá trị không hợp lệ.".into(),
        }
    }

    fn en(&self) -> String {
        use Msg::*;
        match self {
            NotFound => "The requested resource was not found.".into(),
            RouteNotFound => "No such path.".into(),
            MethodNotAllowed => "This method is not allowed on this path.".into(),
            Unauthorized => "Authentication required: missing or invalid access token.".into(),
            TokenExpired => "The access token has expired.".into(),
            InvalidToken => "The access token is invalid.".into(),
            InvalidCredentials => "Wrong login or password.".into(),
            InvalidRefreshToken => "The refresh token is invalid or has expired.".into(),
            Forbidden => "You are not allowed to do this.".into(),
            MalformedJson(d) => format!("The body is not valid JSON: {d}"),
            UnsupportedContentType => {
                "The body must be sent as Content-Type: application/json.".into()
            }
            PayloadTooLarge => "The request body is too large.".into(),
            RequestTimeout => "The request took too long.".into(),
            TooManyRequests { retry_after } => {
                format!("Too many requests. Try again in {retry_after} seconds.")
            }
            ValidationFailed => "The submitted data is invalid.".into(),
            BadRequest => "Bad request.".into(),
            PhoneTaken => "This phone number is already registered.".into(),
            EmailTaken => "This email is already registered.".into(),
            Conflict => "This conflicts with the current state.".into(),
            Internal => "Something went wrong on our side. Please try again later.".into(),
            ServiceUnavailable => "The service is temporarily unavailable.".into(),
            Required => "This field is required.".into(),
            InvalidType(d) => format!("Wrong type of value: {d}"),
            TooShort { min } => format!("Must be at least {min} characters."),
            TooLong { max } => format!("Must be at most {max} characters."),
            InvalidEmail => "Not a valid email address.".into(),
            InvalidPhone => "Not a valid phone number.".into(),
            PasswordTooCommon => {
                "This password is too common or easy to guess; choose another.".into()
            }
            PhoneOrEmailRequired => "A phone number or an email is required.".into(),
            InvalidLocale => "Language must be 'vi' or 'en'.".into(),
            InvalidValue => "Invalid value.".into(),
        }
    }
}
