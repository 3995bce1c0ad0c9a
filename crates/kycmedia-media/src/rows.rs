//! A decoder's rows, padded to a stride and perhaps deeper than 8 bits, as
//! the 8-bit luma plane every measure reads. Kept out of the `heif` module,
//! which only builds with libheif's headers, so that the default build
//! compiles and tests it, and CI's `heif` pass need not rebuild this
//! crate's unit tests.

/// Rows of `stride` bytes cut to `width` 8-bit samples; deeper samples
/// (10- or 12-bit HDR photos, stored in 16 bits) are scaled to 8. The
/// error says what does not fit, for the caller's `Corrupt`.
pub(crate) fn luma8(
    data: &[u8],
    width: usize,
    height: usize,
    stride: usize,
    storage: u8,
    bits: u8,
) -> Result<Vec<u8>, String> {
    let sample = match storage {
        8 => 1,
        16 => 2,
        other => return Err(format!("{other}-bit luma samples")),
    };
    let row_bytes = width * sample;
    if stride < row_bytes || data.len() < stride * height.saturating_sub(1) + row_bytes {
        return Err("the decoded plane is shorter than its size".into());
    }
    let shift = u32::from(bits.clamp(8, 16) - 8);
    let mut grey = Vec::with_capacity(width * height);
    for row in data.chunks(stride).take(height) {
        let row = &row[..row_bytes];
        if sample == 1 {
            grey.extend_from_slice(row);
        } else {
            grey.extend(
                row.chunks_exact(2)
                    .map(|s| (u16::from_ne_bytes([s[0], s[1]]) >> shift).min(255) as u8),
            );
        }
    }
    Ok(grey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_cut_to_the_width_and_deep_samples_scaled_to_eight_bits() {
        let padded = [1, 2, 9, 9, 3, 4, 9, 9];
        assert_eq!(luma8(&padded, 2, 2, 4, 8, 8).ok(), Some(vec![1, 2, 3, 4]));
        let ten_bit = [1023u16, 512].iter().flat_map(|v| v.to_ne_bytes()).collect::<Vec<_>>();
        assert_eq!(luma8(&ten_bit, 2, 1, 4, 16, 10).ok(), Some(vec![255, 128]));
        assert!(luma8(&padded, 2, 3, 4, 8, 8).is_err());
    }
}
