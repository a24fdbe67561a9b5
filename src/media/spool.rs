//! An upload on its way in: written to an unnamed temporary file as it
//! arrives (never gathered in memory while the client sends), judged from its
//! first bytes, and held to its kind's byte cap from the moment the kind is
//! known. The temporary file disappears with the value, however the upload
//! ends.

use tokio::io::AsyncWriteExt;

use super::inspect::{MediaKind, SNIFF_BYTES, sniff_kind};
use super::service::Caps;
use crate::error::{AppError, AppResult};
use crate::messages::Msg;

pub struct Spool {
    file: tokio::fs::File,
    head: Vec<u8>,
    written: u64,
    kind: Option<MediaKind>,
    caps: Caps,
}

/// A whole upload in its temporary file, of an accepted kind and size.
pub struct Spooled {
    pub file: std::fs::File,
    pub len: u64,
    pub kind: MediaKind,
}

impl Spool {
    pub async fn new(caps: Caps) -> AppResult<Spool> {
        let file = tokio::task::spawn_blocking(tempfile::tempfile)
            .await
            .map_err(|e| AppError::from(anyhow::Error::from(e)))?
            .map_err(|e| AppError::from(anyhow::Error::from(e)))?;
        Ok(Spool {
            file: tokio::fs::File::from_std(file),
            head: Vec::with_capacity(SNIFF_BYTES),
            written: 0,
            kind: None,
            caps,
        })
    }

    /// The kind, once judged.
    pub fn kind(&self) -> Option<MediaKind> {
        self.kind
    }

    /// Appends the next bytes: 415 as soon as the first bytes are not an
    /// accepted kind, 413 as soon as the cap is passed (the image cap once the
    /// file is known to be an image).
    pub async fn write(&mut self, chunk: &[u8]) -> AppResult<()> {
        if self.kind.is_none() {
            let take = (SNIFF_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
            if self.head.len() >= SNIFF_BYTES {
                self.judge()?;
            }
        }
        let total = self.written + chunk.len() as u64;
        self.check(total)?;
        self.file
            .write_all(chunk)
            .await
            .map_err(|e| AppError::from(anyhow::Error::from(e)))?;
        self.written = total;
        Ok(())
    }

    /// The whole upload: 422 when empty, 415 when not an accepted kind.
    pub async fn finish(mut self) -> AppResult<Spooled> {
        if self.written == 0 {
            return Err(AppError::field("file", Msg::MissingFile));
        }
        let kind = match self.kind {
            Some(k) => k,
            None => self.judge()?,
        };
        self.file
            .flush()
            .await
            .map_err(|e| AppError::from(anyhow::Error::from(e)))?;
        Ok(Spooled {
            file: self.file.into_std().await,
            len: self.written,
            kind,
        })
    }

    fn judge(&mut self) -> AppResult<MediaKind> {
        let kind = sniff_kind(&self.head)
            .ok_or(AppError::UnsupportedMediaType(Msg::UnsupportedMediaFile))?;
        self.kind = Some(kind);
        Ok(kind)
    }

    fn check(&self, total: u64) -> AppResult<()> {
        let (cap, msg): (usize, fn(u64) -> Msg) = match self.kind {
            Some(k) if k.is_image() => (self.caps.image_bytes, |max_bytes| Msg::ImageTooLarge {
                max_bytes,
            }),
            Some(_) => (self.caps.video_bytes, |max_bytes| Msg::UploadTooLarge {
                max_bytes,
            }),
            None => (self.caps.largest(), |max_bytes| Msg::UploadTooLarge {
                max_bytes,
            }),
        };
        if total > cap as u64 {
            return Err(AppError::TooLarge(msg(cap as u64)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        image_bytes: 5000,
        video_bytes: 20000,
    };

    fn png_head() -> Vec<u8> {
        b"\x89PNG\r\n\x1a\n".to_vec()
    }

    fn mp4_head() -> Vec<u8> {
        let mut v = vec![0, 0, 0, 16];
        v.extend_from_slice(b"ftypisom\0\0\0\0");
        v
    }

    #[tokio::test]
    async fn an_image_is_held_to_the_image_cap_once_known() {
        let mut s = Spool::new(CAPS).await.expect("spool");
        s.write(&png_head()).await.expect("head");
        assert_eq!(s.kind(), None, "not judged on 8 bytes");
        s.write(&[0; SNIFF_BYTES]).await.expect("under both caps");
        assert_eq!(s.kind(), Some(MediaKind::Png));
        let err = s.write(&[0; 1000]).await.expect_err("past the image cap");
        assert!(matches!(
            err,
            AppError::TooLarge(Msg::ImageTooLarge { max_bytes: 5000 })
        ));
    }

    #[tokio::test]
    async fn a_video_gets_the_video_cap() {
        let mut s = Spool::new(CAPS).await.expect("spool");
        s.write(&mp4_head()).await.expect("head");
        s.write(&[0; 19000]).await.expect("under the video cap");
        assert_eq!(s.kind(), Some(MediaKind::Mp4));
        let err = s.write(&[0; 1000]).await.expect_err("past it");
        assert!(matches!(
            err,
            AppError::TooLarge(Msg::UploadTooLarge { max_bytes: 20000 })
        ));
    }

    #[tokio::test]
    async fn unknown_kinds_stop_at_the_first_bytes() {
        let mut s = Spool::new(CAPS).await.expect("spool");
        let err = s
            .write(&[b'<'; SNIFF_BYTES])
            .await
            .expect_err("judged at once");
        assert!(matches!(err, AppError::UnsupportedMediaType(_)));
        // A short file is judged when it ends.
        let mut s = Spool::new(CAPS).await.expect("spool");
        s.write(b"hello").await.expect("short");
        assert!(matches!(
            s.finish().await,
            Err(AppError::UnsupportedMediaType(_))
        ));
        let s = Spool::new(CAPS).await.expect("spool");
        assert!(matches!(s.finish().await, Err(AppError::Validation(_))));
    }

    #[tokio::test]
    async fn what_is_written_is_what_is_kept() {
        use std::io::Read;
        let mut s = Spool::new(CAPS).await.expect("spool");
        let mut data = png_head();
        data.extend((0..3000u32).map(|i| (i % 251) as u8));
        for c in data.chunks(7) {
            s.write(c).await.expect("write");
        }
        let mut done = s.finish().await.expect("finish");
        assert_eq!((done.len, done.kind), (data.len() as u64, MediaKind::Png));
        let mut back = Vec::new();
        use std::io::Seek;
        done.file.rewind().expect("rewind");
        done.file.read_to_end(&mut back).expect("read");
        assert_eq!(back, data);
    }
}
