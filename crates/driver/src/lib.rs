#![no_std]
#![allow(missing_docs, non_snake_case)]

#[link(name = "ntoskrnl.exe", kind = "raw-dylib", modifiers = "+verbatim")]
extern "system" {
    fn DbgPrint(fmt: *const u8, ...) -> i32;
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! { loop {} }

#[no_mangle]
pub extern "system" fn DriverEntry(_d: *mut u8, _r: *mut u8) -> i32 {
    unsafe { DbgPrint(b"evshare: hello\n\0".as_ptr()); }
    0
}
