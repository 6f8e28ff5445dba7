//! Geometry: `width`, `height`, `aspect_ratio` and `area` of the stored pixel grid.
//!
//! * `aspect_ratio = height / width`, as deepchecks' `Aspect Ratio`
//!   (`deepchecks.vision.utils.image_properties.aspect_ratio`: `shape[0] / shape[1]`);
//! * `area = height * width`, as deepchecks' `Area`.
//!
//! Both use the dimensions stored in the file; the EXIF orientation is not applied (a portrait
//! photo stored landscape with orientation 6 keeps `aspect_ratio < 1`), as in deepchecks.

/// Height divided by width (deepchecks' `Aspect Ratio`); `width` is never 0 for a decoded image.
pub fn aspect_ratio(width: u32, height: u32) -> f64 {
    f64::from(height) / f64::from(width)
}

/// Height times width, the number of pixels (deepchecks' `Area`).
pub fn area(width: u32, height: u32) -> f64 {
    f64::from(width) * f64::from(height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_height_over_width() {
        assert_eq!(aspect_ratio(4, 3), 0.75);
        assert_eq!(aspect_ratio(1, 1000), 1000.0);
        assert_eq!(area(333, 77), 25_641.0);
    }
}
