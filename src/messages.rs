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
    /// Where the JSON stops being JSON.
    MalformedJson {
        line: usize,
        column: usize,
    },
    UnsupportedContentType,
    PayloadTooLarge,
    RequestTimeout,
    TooManyRequests {
        retry_after: u64,
    },
    ValidationFailed,
    BadRequest,
    PhoneTaken,
    EmailTaken,
    Conflict,
    Internal,
    ServiceUnavailable,
    /// Every password-hashing thread is busy.
    HashingBusy {
        retry_after: u64,
    },
    // Field messages.
    Required,
    /// A value of the wrong kind: what the field expects.
    Expected(Expected),
    /// A field the request does not take.
    UnknownField,
    UriTooLong {
        max: usize,
    },
    HeadersTooLarge,
    TooShort {
        min: u64,
    },
    TooLong {
        max: u64,
    },
    InvalidEmail,
    InvalidPhone,
    PasswordTooCommon,
    PhoneOrEmailRequired,
    InvalidLocale,
    InvalidValue,
    UnitCodeTaken,
    CategoryCodeTaken,
    InvalidCode,
    UnknownUnit,
    UnknownCategory,
    UnknownUser,
    InvalidKind,
    UnitCycle,
    HoursOutOfRange,
    RuleExists,
    InvalidRole,
    StaffNeedsUnit,
    LatOutOfRange,
    LngOutOfRange,
    OutsideServiceArea,
    UnknownMedia,
    TooManyMedia,
    DuplicateMedia,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    UnsupportedMediaFile,
    MediaTooLarge,
    ImageTooManyPixels,
    CorruptMedia,
    MissingFile,
    NotRatable,
    ScoreOutOfRange,
    NotReopenable,
    CannotFollowOwn,
    InvalidCursor,
    CursorForAnotherSort,
    /// The database refused the work because of other work at the same time.
    TryAgain,
    InvalidBbox,
    InvalidStatus,
    InvalidTimestamp,
    LimitOutOfRange,
    OnlyCitizens,
    InvalidWorkingHours,
    InvalidAction,
    ActionNotAllowed,
    InvalidTransition,
    PublicMessageRequired,
    UnitOutOfScope,
    AssigneeNotInUnit,
    NothingToAssign,
    DuplicateOfInvalid,
    DueAtMustBeLater,
    DueAtTooFar {
        days: u64,
    },
    ReasonRequired,
    InvalidPriority,
    InvalidSort,
    InvalidAssignee,
    InvalidDate,
    InvalidCharacters,
    InvalidAreaCode,
    InvalidMonth,
    InvalidMonthRange,
    InvalidGroupBy,
    InvalidFormat,
    MonthNotOver,
    MonthClosed,
    // Webhooks.
    InvalidWebhookUrl,
    NonPublicWebhookTarget,
    UnknownEventType,
    DeliveryNotFailed,
    // Open311.
    PointRequired,
    InvalidUrl,
    UnknownService,
    Open311Notice {
        due: String,
    },
    // Sessions and passwords.
    SessionEnded,
    WrongPassword,
    SamePassword,
    InvalidResetCode,
    LastAdmin,
    CitizenChangeNotAllowed,
    ResetCodeText {
        code: String,
        minutes: u64,
    },
    ResetCodeSubject,
    ResetCodeEmailBody {
        code: String,
        minutes: u64,
    },
    // Media streaming.
    /// An image past `media.max_image_bytes`.
    ImageTooLarge {
        max_bytes: u64,
    },
    /// A file (or body) past the largest upload, `media.max_video_bytes`.
    UploadTooLarge {
        max_bytes: u64,
    },
    /// No bytes of an upload arrived for this many seconds.
    UploadStalled {
        secs: u64,
    },
    /// An upload took longer than its overall cap.
    UploadTooSlow {
        secs: u64,
    },
    /// No requested byte range lies within the file.
    RangeNotSatisfiable {
        len: u64,
    },
    // Versions.
    /// The report moved past the version the caller loaded (409).
    ReportChanged {
        current_version: i32,
    },
    /// `If-Match` is not `*`, `"<n>"` or `W/"<n>"`.
    InvalidIfMatch,
    /// `If-Match` and `expected_version` name different versions.
    VersionsDisagree,
}

/// What a field expects, named in words a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Text,
    Integer,
    Number,
    Boolean,
    List,
    Object,
    Uuid,
    /// An RFC 3339 instant.
    Timestamp,
    /// One of these values.
    OneOf(Vec<String>),
    /// A valid value (nothing more precise is known).
    Valid,
}

impl Expected {
    fn vi(&self) -> String {
        match self {
            Expected::Text => "Phải là một chuỗi ký tự.".into(),
            Expected::Integer => "Phải là một số nguyên.".into(),
            Expected::Number => "Phải là một số.".into(),
            Expected::Boolean => "Phải là true hoặc false.".into(),
            Expected::List => "Phải là một danh sách (mảng JSON).".into(),
            Expected::Object => "Phải là một đối tượng JSON ({…}).".into(),
            Expected::Uuid => "Phải là một mã định danh UUID.".into(),
            Expected::Timestamp => "Phải là thời điểm RFC 3339, ví dụ 2026-05-01T08:00:00Z.".into(),
            Expected::OneOf(v) => format!("Phải là một trong: {}.", v.join(", ")),
            Expected::Valid => "Giá trị không hợp lệ.".into(),
        }
    }

    fn en(&self) -> String {
        match self {
            Expected::Text => "Must be a string.".into(),
            Expected::Integer => "Must be a whole number.".into(),
            Expected::Number => "Must be a number.".into(),
            Expected::Boolean => "Must be true or false.".into(),
            Expected::List => "Must be a list (a JSON array).".into(),
            Expected::Object => "Must be a JSON object ({…}).".into(),
            Expected::Uuid => "Must be a UUID.".into(),
            Expected::Timestamp => "Must be an RFC 3339 instant, e.g. 2026-05-01T08:00:00Z.".into(),
            Expected::OneOf(v) => format!("Must be one of: {}.", v.join(", ")),
            Expected::Valid => "Not a valid value.".into(),
        }
    }
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
            MalformedJson { line, column } => {
                format!("Nội dung không phải JSON hợp lệ (dòng {line}, cột {column}).")
            }
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
            HashingBusy { retry_after } => format!(
                "Hệ thống đang xử lý quá nhiều lượt đăng nhập. Vui lòng thử lại sau {retry_after} giây."
            ),
            Required => "Trường này là bắt buộc.".into(),
            Expected(e) => e.vi(),
            UnknownField => "Trường này không được hỗ trợ.".into(),
            UriTooLong { max } => format!("Địa chỉ yêu cầu (đường dẫn và tham số) dài quá {max} byte."),
            HeadersTooLarge => "Phần đầu (header) của yêu cầu quá lớn.".into(),
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
            UnitCodeTaken => "Mã đơn vị này đã được dùng.".into(),
            CategoryCodeTaken => "Mã lĩnh vực này đã được dùng.".into(),
            InvalidCode => "Mã chỉ gồm chữ, số, '-', '_' hoặc '.', tối đa 64 ký tự.".into(),
            UnknownUnit => "Đơn vị không tồn tại.".into(),
            UnknownCategory => "Lĩnh vực không tồn tại hoặc đã ngừng sử dụng.".into(),
            UnknownUser => "Tài khoản không tồn tại.".into(),
            InvalidKind => "Loại đơn vị không hợp lệ.".into(),
            UnitCycle => "Một đơn vị không thể nằm dưới chính nó.".into(),
            HoursOutOfRange => "Số giờ phải từ 1 đến 8760.".into(),
            RuleExists => "Đã có quy tắc cho lĩnh vực và địa bàn này.".into(),
            InvalidRole => "Vai trò phải là officer, coordinator hoặc admin.".into(),
            StaffNeedsUnit => "Cán bộ và điều phối viên phải thuộc một đơn vị.".into(),
            LatOutOfRange => "Vĩ độ phải từ -90 đến 90.".into(),
            LngOutOfRange => "Kinh độ phải từ -180 đến 180.".into(),
            OutsideServiceArea => "Vị trí nằm ngoài địa bàn phục vụ.".into(),
            UnknownMedia => {
                "Tệp không tồn tại, không phải của bạn hoặc đã được dùng cho phản ánh khác.".into()
            }
            TooManyMedia => "Tối đa 10 tệp cho một phản ánh.".into(),
            DuplicateMedia => "Một tệp chỉ được đính kèm một lần.".into(),
            IdempotencyKeyReused => "Idempotency-Key này đã được dùng cho một yêu cầu khác.".into(),
            InvalidIdempotencyKey => "Idempotency-Key phải từ 1 đến 128 ký tự in được.".into(),
            UnsupportedMediaFile => "Chỉ nhận ảnh JPEG, PNG, WebP, HEIC hoặc video MP4.".into(),
            MediaTooLarge => "Tệp quá lớn.".into(),
            ImageTooManyPixels => "Ảnh quá lớn về kích thước điểm ảnh.".into(),
            CorruptMedia => "Tệp bị hỏng hoặc không đọc được.".into(),
            MissingFile => "Cần một trường 'file' trong multipart/form-data.".into(),
            NotRatable => "Chỉ đánh giá được phản ánh đã xử lý xong và chưa đánh giá.".into(),
            ScoreOutOfRange => "Điểm phải từ 1 đến 5.".into(),
            NotReopenable => {
                "Chỉ mở lại được trong 7 ngày sau khi xử lý, khi đánh giá từ 2 điểm trở xuống."
                    .into()
            }
            CannotFollowOwn => "Không thể theo dõi phản ánh của chính mình.".into(),
            InvalidCursor => "Con trỏ phân trang không hợp lệ.".into(),
            CursorForAnotherSort => {
                "Con trỏ phân trang này thuộc một cách sắp xếp khác; hãy bắt đầu lại từ trang đầu.".into()
            }
            TryAgain => "Phản ánh đang được thay đổi cùng lúc ở nơi khác; hãy tải lại và thử lại.".into(),
            InvalidBbox => "bbox phải là minLng,minLat,maxLng,maxLat.".into(),
            InvalidStatus => "Trạng thái không hợp lệ.".into(),
            InvalidTimestamp => "Thời điểm phải theo RFC 3339, ví dụ 2025-04-04T08:30:00Z.".into(),
            LimitOutOfRange => "limit phải từ 1 đến 100.".into(),
            OnlyCitizens => "Chỉ tài khoản công dân mới thực hiện được thao tác này.".into(),
            InvalidWorkingHours => "Giờ làm việc phải dạng HH:MM–HH:MM, không chồng lấn.".into(),
            InvalidAction => "Thao tác không hợp lệ.".into(),
            ActionNotAllowed => "Vai trò của bạn không được thực hiện thao tác này.".into(),
            InvalidTransition => {
                "Không thực hiện được thao tác này ở trạng thái hiện tại của phản ánh.".into()
            }
            PublicMessageRequired => "Cần trả lời công khai cho người dân.".into(),
            UnitOutOfScope => "Đơn vị không tồn tại hoặc ngoài phạm vi của bạn.".into(),
            AssigneeNotInUnit => "Cán bộ không tồn tại hoặc không thuộc đơn vị xử lý.".into(),
            NothingToAssign => "Cần unit_id hoặc assignee_id.".into(),
            DuplicateOfInvalid => {
                "Phản ánh gốc không tồn tại, là chính nó hoặc đã là bản trùng.".into()
            }
            DueAtMustBeLater => "Hạn mới phải sau hạn hiện tại.".into(),
            DueAtTooFar { days } => format!("Hạn mới không được quá {days} ngày kể từ bây giờ."),
            ReasonRequired => "Cần nêu lý do.".into(),
            InvalidPriority => "Mức độ phải là normal hoặc urgent.".into(),
            InvalidSort => "sort phải là created_at, -created_at hoặc due_at.".into(),
            InvalidAssignee => "assignee phải là 'me' hoặc một id.".into(),
            InvalidDate => "Ngày phải dạng YYYY-MM-DD hoặc RFC 3339.".into(),
            InvalidCharacters => "Có ký tự điều khiển không hợp lệ.".into(),
            InvalidAreaCode => "Mã địa bàn chỉ gồm chữ, số, '.' hoặc '-', tối đa 32 ký tự.".into(),
            InvalidMonth => "Tháng phải dạng YYYY-MM.".into(),
            InvalidMonthRange => "Khoảng tháng không hợp lệ (từ ≤ đến, tối đa 120 tháng).".into(),
            InvalidGroupBy => "group_by phải là none, unit, category hoặc area.".into(),
            InvalidFormat => "format phải là csv, xlsx hoặc json.".into(),
            MonthNotOver => "Chỉ chốt được tháng đã kết thúc.".into(),
            MonthClosed => "Tháng này đã được chốt số liệu.".into(),
            InvalidWebhookUrl => "URL phải là một địa chỉ http(s) tuyệt đối.".into(),
            PointRequired => {
                "Cần lat và long: máy chủ này không tự tìm toạ độ từ địa chỉ.".into()
            }
            InvalidUrl => "Phải là một URL http(s) tuyệt đối.".into(),
            UnknownService => "Không có dịch vụ (service_code) này, hoặc đã ngừng sử dụng.".into(),
            Open311Notice { due } => format!("Đã tiếp nhận. Hạn tiếp nhận và chuyển xử lý: {due}."),
            NonPublicWebhookTarget => {
                "URL phải trỏ tới một địa chỉ công cộng (không phải nội bộ, loopback hay link-local).".into()
            }
            UnknownEventType => "Loại sự kiện không hợp lệ (xem danh sách report.*, hoặc \"*\").".into(),
            DeliveryNotFailed => "Chỉ gửi lại được lần chuyển đã thất bại.".into(),
            SessionEnded => "Phiên đăng nhập đã kết thúc; hãy đăng nhập lại.".into(),
            WrongPassword => "Mật khẩu hiện tại không đúng.".into(),
            SamePassword => "Mật khẩu mới phải khác mật khẩu hiện tại.".into(),
            InvalidResetCode => {
                "Mã không đúng, đã hết hạn hoặc đã dùng hết số lần thử; hãy yêu cầu mã mới.".into()
            }
            LastAdmin => {
                "Không thể vô hiệu hóa hoặc hạ quyền quản trị viên đang hoạt động cuối cùng.".into()
            }
            CitizenChangeNotAllowed => {
                "Với tài khoản công dân chỉ có thể khóa hoặc mở khóa (disabled).".into()
            }
            ResetCodeText { code, minutes } => format!(
                "Ma dat lai mat khau cua ban la {code}. Ma co hieu luc {minutes} phut. Khong chia se ma nay voi bat ky ai."
            ),
            ResetCodeSubject => "Mã đặt lại mật khẩu".into(),
            ResetCodeEmailBody { code, minutes } => format!(
                "Mã đặt lại mật khẩu của bạn là {code}.\n\nMã có hiệu lực trong {minutes} phút và chỉ dùng được một lần. Không chia sẻ mã này với bất kỳ ai.\n\nNếu bạn không yêu cầu đặt lại mật khẩu, hãy bỏ qua thư này."
            ),
            ImageTooLarge { max_bytes } => format!("Ảnh không được lớn hơn {}.", size(*max_bytes)),
            UploadTooLarge { max_bytes } => format!("Tệp tải lên không được lớn hơn {}.", size(*max_bytes)),
            UploadStalled { secs } => format!("Không nhận được dữ liệu tải lên trong {secs} giây; hãy thử lại."),
            UploadTooSlow { secs } => format!("Tải lên không xong trong {secs} giây; hãy thử lại trên mạng ổn định hơn."),
            RangeNotSatisfiable { len } => format!("Không có khoảng byte nào được yêu cầu nằm trong tệp ({len} byte)."),
            ReportChanged { current_version } => format!("Phản ánh đã thay đổi kể từ khi bạn tải (phiên bản hiện tại: {current_version}); hãy tải lại rồi thử lại."),
            InvalidIfMatch => "If-Match phải là \"*\" hoặc số phiên bản trong ngoặc kép, ví dụ \"3\".".into(),
            VersionsDisagree => "expected_version khác với phiên bản trong If-Match.".into(),
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
            MalformedJson { line, column } => {
                format!("The body is not valid JSON (line {line}, column {column}).")
            }
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
            HashingBusy { retry_after } => format!(
                "Too many sign-ins are being checked right now. Try again in {retry_after} seconds."
            ),
            Required => "This field is required.".into(),
            Expected(e) => e.en(),
            UnknownField => "This field is not accepted here.".into(),
            UriTooLong { max } => format!("The request target (path and query) is longer than {max} bytes."),
            HeadersTooLarge => "The request headers are too large.".into(),
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
            UnitCodeTaken => "This unit code is already in use.".into(),
            CategoryCodeTaken => "This category code is already in use.".into(),
            InvalidCode => "A code is letters, digits, '-', '_' or '.', at most 64 characters.".into(),
            UnknownUnit => "No such unit.".into(),
            UnknownCategory => "No such category, or it is no longer in use.".into(),
            UnknownUser => "No such account.".into(),
            InvalidKind => "Invalid unit kind.".into(),
            UnitCycle => "A unit cannot be placed under itself.".into(),
            HoursOutOfRange => "Hours must be between 1 and 8760.".into(),
            RuleExists => "A rule for this category and area already exists.".into(),
            InvalidRole => "Role must be officer, coordinator or admin.".into(),
            StaffNeedsUnit => "Officers and coordinators must belong to a unit.".into(),
            LatOutOfRange => "Latitude must be between -90 and 90.".into(),
            LngOutOfRange => "Longitude must be between -180 and 180.".into(),
            OutsideServiceArea => "The location is outside the service area.".into(),
            UnknownMedia => "No such file, not yours, or already attached to another report.".into(),
            TooManyMedia => "At most 10 files per report.".into(),
            DuplicateMedia => "A file can be attached only once.".into(),
            IdempotencyKeyReused => "This Idempotency-Key was already used for a different request.".into(),
            InvalidIdempotencyKey => "Idempotency-Key must be 1 to 128 printable characters.".into(),
            UnsupportedMediaFile => "Only JPEG, PNG, WebP or HEIC images and MP4 videos are accepted.".into(),
            MediaTooLarge => "The file is too large.".into(),
            ImageTooManyPixels => "The image has too many pixels.".into(),
            CorruptMedia => "The file is damaged or unreadable.".into(),
            MissingFile => "A 'file' field in multipart/form-data is required.".into(),
            NotRatable => "Only a resolved report that has not been rated can be rated.".into(),
            ScoreOutOfRange => "Score must be between 1 and 5.".into(),
            NotReopenable => "A report can be reopened only within 7 days of resolution, after a rating of 2 or less.".into(),
            CannotFollowOwn => "You cannot follow your own report.".into(),
            InvalidCursor => "Invalid pagination cursor.".into(),
            CursorForAnotherSort => {
                "This cursor was made for another sort order; start again from the first page.".into()
            }
            TryAgain => "This was being changed elsewhere at the same moment; reload and try again.".into(),
            InvalidBbox => "bbox must be minLng,minLat,maxLng,maxLat.".into(),
            InvalidStatus => "Invalid status.".into(),
            InvalidTimestamp => "A time must be RFC 3339, e.g. 2025-04-04T08:30:00Z.".into(),
            LimitOutOfRange => "limit must be between 1 and 100.".into(),
            OnlyCitizens => "Only citizen accounts can do this.".into(),
            InvalidWorkingHours => "Working hours must be HH:MM–HH:MM intervals that do not overlap.".into(),
            InvalidAction => "Unknown action.".into(),
            ActionNotAllowed => "Your role may not do this.".into(),
            InvalidTransition => "This action is not possible in the report's current status.".into(),
            PublicMessageRequired => "A public answer to the citizen is required.".into(),
            UnitOutOfScope => "No such unit, or outside your scope.".into(),
            AssigneeNotInUnit => "No such officer, or not in the handling unit.".into(),
            NothingToAssign => "unit_id or assignee_id is required.".into(),
            DuplicateOfInvalid => "The original does not exist, is this report, or is itself a duplicate.".into(),
            DueAtMustBeLater => "The new deadline must be later than the current one.".into(),
            DueAtTooFar { days } => format!("The new deadline may be at most {days} days from now."),
            ReasonRequired => "A reason is required.".into(),
            InvalidPriority => "Priority must be normal or urgent.".into(),
            InvalidSort => "sort must be created_at, -created_at or due_at.".into(),
            InvalidAssignee => "assignee must be 'me' or an id.".into(),
            InvalidDate => "A date must be YYYY-MM-DD or RFC 3339.".into(),
            InvalidCharacters => "Contains control characters that are not allowed.".into(),
            InvalidAreaCode => "An area code is letters, digits, '.' or '-', at most 32 characters.".into(),
            InvalidMonth => "A month must be YYYY-MM.".into(),
            InvalidMonthRange => "Invalid month range (from ≤ to, at most 120 months).".into(),
            InvalidGroupBy => "group_by must be none, unit, category or area.".into(),
            InvalidFormat => "format must be csv, xlsx or json.".into(),
            MonthNotOver => "Only a month that is over can be closed.".into(),
            MonthClosed => "This month is already closed.".into(),
            InvalidWebhookUrl => "The URL must be an absolute http(s) URL.".into(),
            PointRequired => {
                "lat and long are required: this server does not look up addresses.".into()
            }
            InvalidUrl => "Must be an absolute http(s) URL.".into(),
            UnknownService => "No such service_code, or it is no longer in use.".into(),
            Open311Notice { due } => format!("Received. It will be acknowledged and routed by {due}."),
            NonPublicWebhookTarget => {
                "The URL must resolve to a public address (not private, loopback or link-local).".into()
            }
            UnknownEventType => "Unknown event type (see the report.* list, or \"*\").".into(),
            DeliveryNotFailed => "Only a failed delivery can be sent again.".into(),
            SessionEnded => "This session has ended; sign in again.".into(),
            WrongPassword => "The current password is wrong.".into(),
            SamePassword => "The new password must differ from the current one.".into(),
            InvalidResetCode => {
                "The code is wrong, expired or out of tries; request a new one.".into()
            }
            LastAdmin => "The last active admin cannot be disabled or demoted.".into(),
            CitizenChangeNotAllowed => {
                "A citizen account can only be disabled or enabled here.".into()
            }
            ResetCodeText { code, minutes } => format!(
                "Your password reset code is {code}. It is valid for {minutes} minutes. Do not share it with anyone."
            ),
            ResetCodeSubject => "Password reset code".into(),
            ResetCodeEmailBody { code, minutes } => format!(
                "Your password reset code is {code}.\n\nIt is valid for {minutes} minutes and works once. Do not share it with anyone.\n\nIf you did not ask to reset your password, ignore this message."
            ),
            ImageTooLarge { max_bytes } => format!("An image may be at most {}.", size(*max_bytes)),
            UploadTooLarge { max_bytes } => format!("An upload may be at most {}.", size(*max_bytes)),
            UploadStalled { secs } => format!("No upload data arrived for {secs} seconds; please try again."),
            UploadTooSlow { secs } => format!("The upload did not finish within {secs} seconds; please try again on a steadier connection."),
            RangeNotSatisfiable { len } => format!("None of the requested byte ranges lies within the file ({len} bytes)."),
            ReportChanged { current_version } => format!("The report has changed since you loaded it (it is now at version {current_version}); reload it and try again."),
            InvalidIfMatch => "If-Match must be \"*\" or a version number in double quotes, e.g. \"3\".".into(),
            VersionsDisagree => "expected_version differs from the version in If-Match.".into(),
        }
    }
}

/// A byte count as people read it: whole MB or KB (binary), else bytes.
fn size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        format!("{} MB", bytes / MIB)
    } else if bytes >= KIB {
        format!("{} KB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}
