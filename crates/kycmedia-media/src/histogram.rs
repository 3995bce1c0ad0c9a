//! A 256-bin histogram of luma, the one way quantiles and shares of grey
//! levels are read from a slice or a region: counting is O(n) and needs no
//! sorting or copying of the samples.

/// Luma counts with their total.
pub(crate) struct Histogram {
    pub bins: [u32; 256],
    pub count: u32,
}

impl Histogram {
    /// The histogram of `values`.
    pub(crate) fn of(values: impl IntoIterator<Item = u8>) -> Histogram {
        let mut bins = [0u32; 256];
        let mut count = 0;
        for v in values {
            bins[usize::from(v)] += 1;
            count += 1;
        }
        Histogram { bins, count }
    }

    /// The grey level below which a share `q` (0..1) of the samples lie:
    /// the lowest level whose cumulative count passes `q · count`; `None`
    /// for an empty histogram.
    pub(crate) fn quantile(&self, q: f32) -> Option<u8> {
        let target = (self.count as f32 * q.clamp(0.0, 1.0)) as u32;
        let mut seen = 0;
        let level = self.bins.iter().position(|&n| {
            seen += n;
            seen > target
        });
        // q = 1 passes every sample: the highest level present.
        level
            .or_else(|| self.bins.iter().rposition(|&n| n > 0))
            .map(|v| v as u8)
    }

    /// Share of samples with luma in `range`.
    pub(crate) fn share(&self, range: std::ops::RangeInclusive<u8>) -> f64 {
        let inside: u32 = range.map(|v| self.bins[usize::from(v)]).sum();
        f64::from(inside) / f64::from(self.count.max(1))
    }

    /// Mean and variance of luma scaled to 0..1.
    pub(crate) fn mean_variance(&self) -> (f64, f64) {
        let n = f64::from(self.count.max(1));
        let share = |i: usize| f64::from(self.bins[i]) / n;
        let mean: f64 = (0..256).map(|i| share(i) * i as f64 / 255.0).sum();
        let var = (0..256).map(|i| share(i) * (i as f64 / 255.0 - mean).powi(2)).sum();
        (mean, var)
    }

    /// Shannon entropy in bits (0 for one grey level, 8 for all equally).
    pub(crate) fn entropy(&self) -> f64 {
        let n = f64::from(self.count.max(1));
        -self
            .bins
            .iter()
            .filter(|&&b| b > 0)
            .map(|&b| {
                let p = f64::from(b) / n;
                p * p.log2()
            })
            .sum::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_of_one_grey_level_has_no_variance_or_entropy() {
        let h = Histogram::of(std::iter::repeat_n(51u8, 100));
        let (mean, var) = h.mean_variance();
        assert!((mean - 0.2).abs() < 1e-9 && var.abs() < 1e-12);
        assert_eq!(h.entropy(), 0.0);
        assert_eq!(h.share(0..=25), 0.0);
        assert_eq!(h.share(40..=60), 1.0);
    }

    #[test]
    fn two_equally_common_levels_are_one_bit() {
        let h = Histogram::of((0..100u8).map(|i| if i % 2 == 0 { 10 } else { 200 }));
        assert!((h.entropy() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn quantiles_of_a_ramp_are_its_levels_and_an_empty_one_has_none() {
        let h = Histogram::of(0..=99u8);
        assert_eq!(h.quantile(0.0), Some(0));
        assert_eq!(h.quantile(0.5), Some(50));
        assert_eq!(h.quantile(0.9), Some(90));
        assert_eq!(h.quantile(1.0), Some(99));
        assert_eq!(Histogram::of(std::iter::empty()).quantile(0.5), None);
    }
}
