//! JPEG: by default lossless — segments that do not change how the image looks are dropped
//! (comments, XMP, Photoshop and camera metadata), while the JFIF header, the ICC colour
//! profile, the Adobe colour-transform marker and the Exif orientation stay (the orientation
//! as a minimal Exif block). With `jpeg_quality` the image is re-encoded.

use crate::config::Strip;
use crate::stages::images::error::ImageError;

const SOI: u8 = 0xD8;
const SOS: u8 = 0xDA;

/// The segments before the scan data: (marker, payload without the length bytes).
/// A JPEG's segments before the scan (marker, payload), and the rest of the file.
type Segments<'a> = (Vec<(u8, &'a [u8])>, &'a [u8]);

fn segments(bytes: &[u8]) -> Result<Segments<'_>, ImageError> {
    if bytes.len() < 4 || bytes[0] != 0xFF || bytes[1] != SOI {
        return Err(ImageError::Jpeg("not a JPEG file (no start-of-image marker)"));
    }
    let mut out = Vec::new();
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while at < bytes.len() && bytes[at] == 0xFF && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if at + 4 > bytes.len() || bytes[at] != 0xFF {
            return Err(ImageError::Jpeg("the file is truncated or damaged before its image data"));
        }
        let marker = bytes[at + 1];
        let len = u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]) as usize;
        if len < 2 || at + 2 + len > bytes.len() {
            return Err(ImageError::Jpeg("the file is truncated or damaged (a segment runs past its end)"));
        }
        let payload = &bytes[at + 4..at + 2 + len];
        if marker == SOS {
            // The scan header and everything after it stay as they are.
            return Ok((out, &bytes[at..]));
        }
        out.push((marker, payload));
        at += 2 + len;
    }
}

/// The Exif orientation (1–8) of an APP1 Exif payload, if any.
fn orientation(exif: &[u8]) -> Option<u16> {
    let tiff = exif.strip_prefix(b"Exif\0\0")?;
    let le = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = tiff.get(i..i + 2)?;
        Some(if le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b = tiff.get(i..i + 4)?;
        Some(if le { u32::from_le_bytes([b[0], b[1], b[2], b[3]]) } else { u32::from_be_bytes([b[0], b[1], b[2], b[3]]) })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    (0..count).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        (u16_at(entry)? == 0x0112).then(|| u16_at(entry + 8)).flatten()
    })
}

/// A minimal big-endian Exif block holding only the orientation.
fn exif_with_orientation(o: u16) -> Vec<u8> {
    let mut v = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    v.extend_from_slice(&1u16.to_be_bytes()); // one entry
    v.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    v.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    v.extend_from_slice(&1u32.to_be_bytes()); // count
    v.extend_from_slice(&o.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    v
}

/// Drops the segments `strip` allows; the image data is untouched.
pub fn strip(bytes: &[u8], strip: Strip) -> Result<Vec<u8>, ImageError> {
    let (segments, scan) = segments(bytes)?;
    if strip == Strip::None {
        return Ok(bytes.to_vec());
    }
    let mut out = vec![0xFF, SOI];
    let mut push = |marker: u8, payload: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(payload);
    };
    for (marker, payload) in segments {
        match marker {
            // APP0 (JFIF) and the Adobe marker (APP14) change how colours decode.
            0xE0 | 0xEE => push(marker, payload),
            // APP1: Exif keeps its orientation only; XMP goes.
            0xE1 => {
                if let Some(o) = orientation(payload).filter(|&o| o != 1) {
                    push(marker, &exif_with_orientation(o));
                }
            }
            // APP2 ICC profile, unless everything goes.
            0xE2 if payload.starts_with(b"ICC_PROFILE\0") && strip != Strip::All => push(marker, payload),
            // Other APPn and comments: metadata.
            0xE2..=0xEF | 0xFE => {}
            // Tables and frame headers.
            _ => push(marker, payload),
        }
    }
    out.extend_from_slice(scan);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_goes_orientation_and_profile_stay() {
        let mut jpeg = vec![0xFF, SOI];
        let seg = |m: u8, p: &[u8]| {
            let mut v = vec![0xFF, m];
            v.extend_from_slice(&((p.len() + 2) as u16).to_be_bytes());
            v.extend_from_slice(p);
            v
        };
        jpeg.extend(seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        let mut exif = exif_with_orientation(6);
        exif.extend_from_slice(b"camera make and model and more");
        jpeg.extend(seg(0xE1, &exif));
        jpeg.extend(seg(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>"));
        jpeg.extend(seg(0xE2, b"ICC_PROFILE\0\x01\x01profile"));
        jpeg.extend(seg(0xFE, b"a comment"));
        jpeg.extend(seg(0xDB, &[0; 65]));
        jpeg.extend([0xFF, SOS, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        let out = strip(&jpeg, Strip::Safe).unwrap();
        assert!(out.len() < jpeg.len());
        let (segs, scan) = segments(&out).unwrap();
        let markers: Vec<u8> = segs.iter().map(|s| s.0).collect();
        assert_eq!(markers, [0xE0, 0xE1, 0xE2, 0xDB]);
        assert_eq!(orientation(segs[1].1), Some(6));
        assert_eq!(scan, &[0xFF, SOS, 0, 2, 1, 2, 3, 0xFF, 0xD9]);
        let all = strip(&jpeg, Strip::All).unwrap();
        assert!(!all.windows(11).any(|w| w == b"ICC_PROFILE"));
        assert!(strip(&jpeg[..30], Strip::Safe).is_err());
    }
}
