//! A real browser for the page tests: Debian's headless `chromium`, driven
//! through its `chromedriver` (WebDriver, with fantoccini), with a fake
//! camera that shows a fixture photo. When either program is missing the
//! tests pass after a loud message, unless `KYCMEDIA_REQUIRE_SERVICES=1`.
//!
//! Screenshots go to `KYCMEDIA_SCREENSHOTS_DIR` when it is set
//! (`docs/capture/` holds the ones the README shows); otherwise nowhere.

use std::{
    io::Write as _,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A phone's viewport (CSS pixels), and a laptop's.
pub const PHONE: (u32, u32) = (390, 844);
pub const DESKTOP: (u32, u32) = (1280, 900);
/// The narrowest screen the page is made for.
pub const NARROWEST: (u32, u32) = (320, 640);

pub struct Browser {
    pub client: Client,
    driver: Child,
    /// The fake camera's video: rewrite it (`show`) before a step opens the camera.
    camera: PathBuf,
    _dir: tempfile::TempDir,
}

fn skip(why: &str) -> Option<Browser> {
    assert!(!crate::services::required(), "{why}; KYCMEDIA_REQUIRE_SERVICES=1");
    let _ = writeln!(
        std::io::stderr(),
        "\n!!! SKIPPED: a browser test did not run: {why}.\n\
         !!! Install Debian's `chromium` and `chromium-driver`, or set\n\
         !!! KYCMEDIA_REQUIRE_SERVICES=1 to make this a failure.\n"
    );
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Chromium with a window of `size` and a camera showing `camera`
    /// (a fixture's name) until `show` changes it.
    pub async fn start(size: (u32, u32), camera: &str) -> Option<Browser> {
        for program in [CHROMIUM, CHROMEDRIVER] {
            if !Path::new(program).exists() {
                return skip(&format!("{program} is not installed"));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let video = dir.path().join("camera.y4m");
        write_y4m(&crate::helpers::fixture(camera), &video);
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--use-fake-ui-for-media-stream".to_owned(),
            "--use-fake-device-for-media-stream".to_owned(),
            format!("--use-file-for-fake-video-capture={}", video.display()),
            format!("--user-data-dir={}", dir.path().join("profile").display()),
            format!("--window-size={},{}", size.0, size.1),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    let browser = Browser {
                        client,
                        driver,
                        camera: video,
                        _dir: dir,
                    };
                    browser.resize(size).await;
                    return Some(browser);
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session: {last:?}");
    }

    /// Makes the viewport (not the window) `size`, as a phone's would be.
    pub async fn resize(&self, size: (u32, u32)) {
        let inner = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        let (_, _, width, height) = self.client.get_window_rect().await.unwrap();
        let dw = width as i64 - inner[0].as_i64().unwrap();
        let dh = height as i64 - inner[1].as_i64().unwrap();
        self.client
            .set_window_size((size.0 as i64 + dw) as u32, (size.1 as i64 + dh) as u32)
            .await
            .unwrap();
    }

    /// What the camera shows from the next time a page opens it.
    pub fn show(&self, fixture: &str) {
        write_y4m(&crate::helpers::fixture(fixture), &self.camera);
    }

    /// The button whose text is `text`, once it is there and shown.
    pub async fn button(&self, text: &str) -> Element {
        let xpath = format!("//button[normalize-space()='{text}'] | //label[normalize-space()='{text}']");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(found) = self.client.find_all(Locator::XPath(&xpath)).await {
                for element in found {
                    if element.is_displayed().await.unwrap_or(false) && element.is_enabled().await.unwrap_or(false) {
                        return element;
                    }
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no button {text:?} on {}",
                self.text().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.client
            .execute("return document.body.innerText;", vec![])
            .await
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .unwrap_or_default()
    }

    /// Waits until the page's text contains `wanted`.
    pub async fn wait_for_text(&self, wanted: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let text = self.text().await;
            if text.contains(wanted) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "no {wanted:?} in {text:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first element `css` matches, once there is one.
    pub async fn element(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    /// Waits until the camera's preview shows a frame.
    pub async fn wait_for_camera(&self) {
        let script = "const v = document.querySelector('video'); return !!v && v.readyState >= 2 && v.videoWidth > 0;";
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.client.execute(script, vec![]).await.unwrap() != json!(true) {
            assert!(tokio::time::Instant::now() < deadline, "the camera shows nothing");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Chooses `fixture` in the file input of the step shown.
    pub async fn choose_file(&self, fixture: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures")
            .join(fixture);
        let input = self.element("input[type=file]").await;
        input
            .send_keys(&path.canonicalize().unwrap().display().to_string())
            .await
            .unwrap();
    }

    /// Saves a screenshot as `NAME.png` when screenshots are asked for.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("KYCMEDIA_SCREENSHOTS_DIR") else {
            return;
        };
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// A photo as the two-frame Y4M video Chromium's fake camera plays in a
/// loop: 4:2:0, full-range BT.601, even dimensions, at most 1280 wide.
fn write_y4m(jpeg: &[u8], path: &Path) {
    let image = image::load_from_memory(jpeg).unwrap();
    let image = if image.width() > 1280 {
        image.resize(1280, 1280, image::imageops::FilterType::Triangle)
    } else {
        image
    };
    let rgb = image.to_rgb8();
    let (w, h) = (rgb.width() & !1, rgb.height() & !1);
    let mut y = Vec::with_capacity((w * h) as usize);
    let mut u = Vec::with_capacity((w * h / 4) as usize);
    let mut v = Vec::with_capacity((w * h / 4) as usize);
    let at = |x: u32, yy: u32| {
        let p = rgb.get_pixel(x, yy).0;
        (f32::from(p[0]), f32::from(p[1]), f32::from(p[2]))
    };
    for row in 0..h {
        for col in 0..w {
            let (r, g, b) = at(col, row);
            y.push((0.299 * r + 0.587 * g + 0.114 * b).round().clamp(0.0, 255.0) as u8);
        }
    }
    for row in (0..h).step_by(2) {
        for col in (0..w).step_by(2) {
            let mut sum = (0.0, 0.0, 0.0);
            for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                let (r, g, b) = at(col + dx, row + dy);
                sum = (sum.0 + r / 4.0, sum.1 + g / 4.0, sum.2 + b / 4.0);
            }
            let (r, g, b) = sum;
            u.push(
                (128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
            v.push(
                (128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b)
                    .round()
                    .clamp(0.0, 255.0) as u8,
            );
        }
    }
    let mut out = format!("YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..2 {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&y);
        out.extend_from_slice(&u);
        out.extend_from_slice(&v);
    }
    let partial = path.with_extension("part");
    std::fs::write(&partial, out).unwrap();
    std::fs::rename(&partial, path).unwrap();
}
