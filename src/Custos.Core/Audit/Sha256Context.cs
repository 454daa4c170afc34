using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Custos.Core.Audit;

/// <summary>
/// A reusable SHA-256 context for one thread, for hashing many short messages (the verifier hashes one ~500-byte
/// message per audit event). <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/> creates a fresh OpenSSL
/// context per call, and on OpenSSL 3.0 re-fetches the algorithm from the provider each time: that fixed cost is
/// 2-3 times the hashing itself (docs/benchmarks.md). This class fetches the digest once (<c>EVP_MD_fetch</c>, so a
/// configured provider such as FIPS still applies) and re-initialises one <c>EVP_MD_CTX</c> per message. Where
/// libcrypto 3 is not available it falls back to <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>;
/// the result is the same either way (tests compare the two).
/// </summary>
public sealed unsafe class Sha256Context : IDisposable
{
    private static readonly Native? Crypto = Native.TryLoad();
    private readonly Native? _native;
    private nint _ctx;

    public Sha256Context()
        : this(Crypto)
    {
    }

    private Sha256Context(Native? native)
    {
        _ctx = native is null ? 0 : native.CtxNew();
        _native = _ctx == 0 ? null : native;
    }

    /// <summary>True when hashing goes through the reused OpenSSL context (not the per-call fallback).</summary>
    public static bool UsesReusedContext => Crypto is not null;

    /// <summary>Writes SHA-256(<paramref name="data"/>) to <paramref name="destination"/> (32 bytes).</summary>
    public void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (destination.Length < AuditChain.HashSize) throw new ArgumentException("the destination is shorter than 32 bytes", nameof(destination));
        if (_native is not { } c)
        {
            SHA256.HashData(data, destination);
            return;
        }
        ObjectDisposedException.ThrowIf(_ctx == 0, this);
        uint written = 0;
        fixed (byte* input = data)
        fixed (byte* output = destination)
        {
            if (c.Init(_ctx, c.Md, 0) != 1 || c.Update(_ctx, input, (nuint)data.Length) != 1 || c.Final(_ctx, output, &written) != 1
                || written != AuditChain.HashSize)
                throw new CryptographicException("OpenSSL SHA-256 failed");
        }
    }

    public void Dispose()
    {
        if (_ctx != 0) _native!.CtxFree(_ctx);
        _ctx = 0;
    }

    /// <summary>The few libcrypto 3 entry points used, resolved once; null when any is missing.</summary>
    private sealed class Native
    {
        public nint Md;
        public delegate* unmanaged<nint> CtxNew;
        public delegate* unmanaged<nint, void> CtxFree;
        public delegate* unmanaged<nint, nint, nint, int> Init;
        public delegate* unmanaged<nint, byte*, nuint, int> Update;
        public delegate* unmanaged<nint, byte*, uint*, int> Final;

        public static Native? TryLoad()
        {
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsFreeBSD()) return null;
            // The same libcrypto .NET itself uses on Linux (already loaded by System.Security.Cryptography).
            if (!NativeLibrary.TryLoad("libcrypto.so.3", typeof(Sha256Context).Assembly, null, out var lib)) return null;
            if (!NativeLibrary.TryGetExport(lib, "EVP_MD_fetch", out var fetch)
                || !NativeLibrary.TryGetExport(lib, "EVP_MD_CTX_new", out var ctxNew)
                || !NativeLibrary.TryGetExport(lib, "EVP_MD_CTX_free", out var ctxFree)
                || !NativeLibrary.TryGetExport(lib, "EVP_DigestInit_ex", out var init)
                || !NativeLibrary.TryGetExport(lib, "EVP_DigestUpdate", out var update)
                || !NativeLibrary.TryGetExport(lib, "EVP_DigestFinal_ex", out var final))
                return null;
            nint md;
            fixed (byte* name = "SHA256\0"u8)
                md = ((delegate* unmanaged<nint, byte*, byte*, nint>)fetch)(0, name, null);
            if (md == 0) return null;
            var native = new Native
            {
                Md = md,
                CtxNew = (delegate* unmanaged<nint>)ctxNew,
                CtxFree = (delegate* unmanaged<nint, void>)ctxFree,
                Init = (delegate* unmanaged<nint, nint, nint, int>)init,
                Update = (delegate* unmanaged<nint, byte*, nuint, int>)update,
                Final = (delegate* unmanaged<nint, byte*, uint*, int>)final,
            };
            // Refuse the fast path unless it agrees with the platform's SHA-256 on a known input.
            try
            {
                using var probe = new Sha256Context(native);
                Span<byte> ours = stackalloc byte[AuditChain.HashSize];
                probe.Hash("custos"u8, ours);
                return ours.SequenceEqual(SHA256.HashData("custos"u8)) ? native : null;
            }
            catch (CryptographicException)
            {
                return null;
            }
        }
    }
}
