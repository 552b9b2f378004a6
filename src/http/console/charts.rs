//! Bar charts drawn on the server as SVG geometry for the templates (no script, no inline
//! style: the CSP allows neither). Labels stay text the template escapes.

use serde::Serialize;

const WIDTH: u32 = 560;
const HEIGHT: u32 = 180;
/// Room under the bars for the labels.
const AXIS: u32 = 28;

#[derive(Debug, Serialize)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    /// The centre of the bar, where its labels go.
    pub middle: u32,
}

#[derive(Debug, Serialize)]
pub struct Chart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub baseline: u32,
    pub max: i64,
    pub total: i64,
    pub bars: Vec<Bar>,
}

/// One bar per `(label, value)`, scaled to the largest value (negative values count as 0).
pub fn bars(title: &str, values: &[(String, i64)]) -> Chart {
    let max = values.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let baseline = HEIGHT - AXIS;
    let count = u32::try_from(values.len()).unwrap_or(u32::MAX).max(1);
    let slot = WIDTH / count;
    let width = (slot * 7 / 10).max(1);
    let bars = values
        .iter()
        .zip(0_u32..)
        .map(|((label, value), i)| {
            let scaled = i128::from((*value).max(0)) * i128::from(baseline - 12) / i128::from(max);
            let height = u32::try_from(scaled).unwrap_or(0);
            let x = i * slot + (slot - width) / 2;
            Bar { label: label.clone(), value: *value, x, y: baseline - height, width, height, middle: x + width / 2 }
        })
        .collect();
    Chart {
        title: title.to_owned(),
        width: WIDTH,
        height: HEIGHT,
        baseline,
        max,
        total: values.iter().map(|(_, v)| *v).sum(),
        bars,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_largest_bar_reaches_the_top_and_none_leaves_the_chart() {
        let chart = super::bars("t", &[("a".into(), 0), ("b".into(), 5), ("c".into(), 10)]);
        assert_eq!(chart.bars[0].height, 0);
        assert_eq!(chart.bars[2].y, 12);
        assert_eq!(chart.bars[1].height * 2, chart.bars[2].height);
        assert!(chart.bars.iter().all(|b| b.x + b.width <= chart.width));
        assert_eq!(chart.total, 15);
        assert!(super::bars("empty", &[]).bars.is_empty());
    }
}
