//! `evshare channels`: the channels the host driver publishes on.

use super::{Device, Outcome};

/// `evshare channels`, of the driver at `device`.
pub(crate) fn run(device: &Device<'_>) -> Outcome {
    let driver = device.open()?;
    let channels = driver.channels()?;
    if channels.is_empty() {
        println!("{device} publishes no channels (a driver that embeds evshare declares its own; evshare.sys has evshare.heartbeat)");
        return Ok(());
    }
    println!(
        "{:>3}  {:<32}  {:>11}  {:>11}  {:>12}",
        "#", "channel", "max payload", "subscribers", "published"
    );
    for channel in channels {
        println!(
            "{:>3}  {:<32}  {:>9} B  {:>11}  {:>12}",
            channel.index,
            channel.name,
            channel.max_payload,
            channel.subscribers,
            channel.published
        );
    }
    println!("(`evshare watch --channel NAME` shows one live)");
    Ok(())
}
