//! Lab profiles: the device and network a page is loaded under, applied with DevTools
//! emulation. The numbers are Lighthouse's presets as its "devtools" throttling applies them
//! for real: the round trip times 3.75 (request latency) and the throughput times 0.9, since
//! DevTools throttles each request rather than the connection.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Profile {
    pub name: &'static str,
    /// CPU slowdown (`Emulation.setCPUThrottlingRate`).
    pub cpu: f64,
    /// The round trip time the preset models, and the latency DevTools adds to each request.
    pub rtt_ms: f64,
    pub latency_ms: f64,
    /// Throughput the preset models, and what DevTools is told (kbit/s, 1 kbit = 1,024 bits).
    pub down_kbps: f64,
    pub throttled_down_kbps: f64,
    pub throttled_up_kbps: f64,
    pub width: u32,
    pub height: u32,
    pub scale: f64,
    pub mobile: bool,
}

/// A mid-range phone on a slow 4G connection (Lighthouse's mobile default: a Moto G Power's
/// screen, 4× CPU slowdown, 150 ms RTT, 1.6 Mbit/s down, 750 kbit/s up).
pub const MOBILE: Profile = Profile {
    name: "mobile",
    cpu: 4.0,
    rtt_ms: 150.0,
    latency_ms: 150.0 * 3.75,
    down_kbps: 1.6 * 1024.0,
    throttled_down_kbps: 1.6 * 1024.0 * 0.9,
    throttled_up_kbps: 750.0 * 0.9,
    width: 412,
    height: 823,
    scale: 1.75,
    mobile: true,
};

/// A desktop on a dense 4G / cable connection (Lighthouse's desktop preset: 1350×940, no CPU
/// slowdown, 40 ms RTT, 10 Mbit/s).
pub const DESKTOP: Profile = Profile {
    name: "desktop",
    cpu: 1.0,
    rtt_ms: 40.0,
    latency_ms: 40.0 * 3.75,
    down_kbps: 10.0 * 1024.0,
    throttled_down_kbps: 10.0 * 1024.0 * 0.9,
    throttled_up_kbps: 10.0 * 1024.0 * 0.9,
    width: 1350,
    height: 940,
    scale: 1.0,
    mobile: false,
};

impl Profile {
    pub const MOBILE: Profile = MOBILE;
    pub const DESKTOP: Profile = DESKTOP;

    pub fn named(name: &str) -> Option<Profile> {
        [MOBILE, DESKTOP].into_iter().find(|p| p.name == name)
    }

    /// Download and upload throughput in bytes per second, as DevTools takes them.
    pub fn bytes_per_second(&self) -> (f64, f64) {
        (self.throttled_down_kbps * 1024.0 / 8.0, self.throttled_up_kbps * 1024.0 / 8.0)
    }
}
