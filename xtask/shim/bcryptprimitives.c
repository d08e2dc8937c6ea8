/*
 * bcryptprimitives.dll for Wine 8.0: just enough of it for Rust programs to start.
 *
 * Rust's std for x86_64-pc-windows-gnu imports ProcessPrng from bcryptprimitives.dll to seed
 * its hash maps. Wine 8.0 ships no such DLL, so every Rust .exe dies at load time with
 * STATUS_DLL_NOT_FOUND (c0000135). `cargo xtask setup` builds this file with
 *   x86_64-w64-mingw32-gcc -shared -nostdlib -Wl,--entry,DllEntry -Wl,--no-insert-timestamp \
 *       -O2 -s -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 * and copies the DLL into the Wine prefix's system32.
 *
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32's SystemFunction036), which Wine
 * implements over the host's random source. Like the real one, it reports success; it also
 * reports failure honestly if RtlGenRandom ever refuses.
 */
#include <windows.h>

/* No C runtime: this entry point replaces the CRT's DllMainCRTStartup. */
BOOL WINAPI DllEntry(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}

/* RtlGenRandom, under its exported name; ntsecapi.h renames it with a macro. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    /* RtlGenRandom takes a 32-bit length; SIZE_T is 64 bits wide. */
    const SIZE_T max_chunk = 0x80000000u;

    while (length > 0) {
        ULONG chunk = (ULONG)(length < max_chunk ? length : max_chunk);
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
