using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;

namespace Custos.Core.Identity;

/// <summary>
/// Argon2id cost parameters (RFC 9106). <see cref="MemoryKiB"/> is in KiB. libsodium, through NSec, computes
/// Argon2id with one lane only, so <see cref="Parallelism"/> must be 1.
/// </summary>
public sealed record PasswordHashParameters(int MemoryKiB, int Iterations, int Parallelism)
{
    /// <summary>The OWASP Password Storage Cheat Sheet's Argon2id setting: 19 MiB, 2 passes, 1 lane.</summary>
    public static PasswordHashParameters Owasp => new(19456, 2, 1);
}

/// <summary>Thrown when no hashing slot frees up in time: the caller answers "retry later" instead of queueing without bound.</summary>
public sealed class PasswordHasherBusyException : Exception
{
    public PasswordHasherBusyException()
        : base("too many password checks in progress; retry shortly")
    {
    }

    public PasswordHasherBusyException(string message)
        : base(message)
    {
    }

    public PasswordHasherBusyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Argon2id password hashing in PHC string format (<c>$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH</c>, unpadded base64).
/// Every hash costs <c>m</c> KiB of memory, so at most <c>maxConcurrent</c> run at once on the thread pool; a caller
/// that cannot get a slot within the queue timeout gets <see cref="PasswordHasherBusyException"/> (a login storm
/// costs latency and refusals, never the server's memory). Stored strings are untrusted: parameters beyond
/// <see cref="MaxMemoryKiB"/>/<see cref="MaxIterations"/> are refused before any work is done.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    public const int SaltBytes = 16;
    public const int HashBytes = 32;

    /// <summary>Longest password accepted, in UTF-8 bytes (<see cref="PasswordPolicy.MaxLength"/>).</summary>
    public const int MaxPasswordBytes = 1024;

    /// <summary>Upper bound on the memory cost of a stored hash that will be verified (256 MiB).</summary>
    public const int MaxMemoryKiB = 256 * 1024;

    /// <summary>Upper bound on the passes of a stored hash that will be verified.</summary>
    public const int MaxIterations = 16;

    /// <summary>libsodium's lower bound on Argon2 memory (8 KiB).</summary>
    public const int MinMemoryKiB = 8;

    private const int MaxPhcLength = 256;
    private const string Prefix = "$argon2id$v=19$";

    private readonly PasswordHashParameters _parameters;
    private readonly Argon2id _algorithm;
    private readonly SemaphoreSlim _slots;
    private readonly TimeSpan _queueTimeout;
    private readonly byte[] _dummySalt = RandomNumberGenerator.GetBytes(SaltBytes);
    private readonly byte[] _dummyHash = RandomNumberGenerator.GetBytes(HashBytes);

    public PasswordHasher(PasswordHashParameters parameters, int maxConcurrent, TimeSpan queueTimeout)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!AreWithinBounds(parameters.MemoryKiB, parameters.Iterations, parameters.Parallelism))
            throw new ArgumentOutOfRangeException(nameof(parameters), parameters,
                $"Argon2id parameters must have {MinMemoryKiB} <= MemoryKiB <= {MaxMemoryKiB}, 1 <= Iterations <= {MaxIterations} and Parallelism = 1 (libsodium computes one lane).");
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrent, 1);
        if (queueTimeout < TimeSpan.Zero && queueTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(queueTimeout), queueTimeout, "The queue timeout must not be negative.");
        _parameters = parameters;
        _algorithm = CreateAlgorithm(parameters.MemoryKiB, parameters.Iterations);
        _slots = new SemaphoreSlim(maxConcurrent, maxConcurrent);
        _queueTimeout = queueTimeout;
    }

    public PasswordHashParameters Parameters => _parameters;

    /// <summary>Hashes a password with a fresh 16-byte salt and the current parameters.</summary>
    public async Task<string> HashAsync(string password, CancellationToken ct)
    {
        CheckPassword(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = await RunAsync(() => Derive(_algorithm, password, salt), ct);
        var m = _parameters.MemoryKiB.ToString(CultureInfo.InvariantCulture);
        var t = _parameters.Iterations.ToString(CultureInfo.InvariantCulture);
        return $"{Prefix}m={m},t={t},p=1${ToBase64(salt)}${ToBase64(hash)}";
    }

    /// <summary>
    /// True when <paramref name="password"/> matches the PHC string (compared in constant time). Malformed strings and
    /// parameters out of bounds give false without any hashing work.
    /// </summary>
    public async Task<bool> VerifyAsync(string password, string phc, CancellationToken ct)
    {
        CheckPassword(password);
        if (!TryParse(phc, out var parsed)) return false;
        var algorithm = parsed.MemoryKiB == _parameters.MemoryKiB && parsed.Iterations == _parameters.Iterations
            ? _algorithm
            : CreateAlgorithm(parsed.MemoryKiB, parsed.Iterations);
        var actual = await RunAsync(() => Derive(algorithm, password, parsed.Salt), ct);
        return CryptographicOperations.FixedTimeEquals(actual, parsed.Hash);
    }

    /// <summary>
    /// Does the work of a verification at the current parameters and discards the result: called for unknown
    /// user names, so that they take as long as known ones (no user enumeration by timing).
    /// </summary>
    public async Task VerifyDummyAsync(string password, CancellationToken ct)
    {
        CheckPassword(password);
        var actual = await RunAsync(() => Derive(_algorithm, password, _dummySalt), ct);
        _ = CryptographicOperations.FixedTimeEquals(actual, _dummyHash);
    }

    /// <summary>True when the stored hash is weaker than the current parameters (or unreadable) and should be replaced after a successful login.</summary>
    public bool NeedsRehash(string phc) =>
        !TryParse(phc, out var parsed) || parsed.MemoryKiB < _parameters.MemoryKiB || parsed.Iterations < _parameters.Iterations;

    public void Dispose() => _slots.Dispose();

    private readonly record struct ParsedHash(int MemoryKiB, int Iterations, byte[] Salt, byte[] Hash);

    /// <summary>Strict parser: <c>$argon2id$v=19$m=M,t=T,p=1$SALT$HASH</c> with canonical decimal numbers and canonical unpadded base64.</summary>
    private static bool TryParse(string? phc, out ParsedHash parsed)
    {
        parsed = default;
        if (phc is null || phc.Length > MaxPhcLength || !phc.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var parts = phc[Prefix.Length..].Split('$');
        if (parts.Length != 3) return false;
        var fields = parts[0].Split(',');
        if (fields.Length != 3
            || !TryParseField(fields[0], "m=", out var m)
            || !TryParseField(fields[1], "t=", out var t)
            || !TryParseField(fields[2], "p=", out var p)
            || !AreWithinBounds(m, t, p))
            return false;
        var salt = FromBase64(parts[1]);
        var hash = FromBase64(parts[2]);
        if (salt is not { Length: SaltBytes } || hash is not { Length: HashBytes }) return false;
        parsed = new ParsedHash(m, t, salt, hash);
        return true;
    }

    private static bool TryParseField(string field, string name, out int value)
    {
        value = 0;
        if (!field.StartsWith(name, StringComparison.Ordinal)) return false;
        var digits = field.AsSpan(name.Length);
        if (digits.Length is 0 or > 9 || (digits[0] == '0' && digits.Length > 1)) return false;
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private static bool AreWithinBounds(int memoryKiB, int iterations, int parallelism) =>
        memoryKiB is >= MinMemoryKiB and <= MaxMemoryKiB && iterations is >= 1 and <= MaxIterations && parallelism == 1;

    private static Argon2id CreateAlgorithm(int memoryKiB, int iterations) =>
        new(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memoryKiB,
            NumberOfPasses = iterations,
        });

    private static void CheckPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        // The message states the limit only: never the password, nor its length.
        if (password.Length > MaxPasswordBytes || Encoding.UTF8.GetByteCount(password) > MaxPasswordBytes)
            throw new ArgumentException($"The password is longer than {MaxPasswordBytes} UTF-8 bytes.", nameof(password));
    }

    private static byte[] Derive(Argon2id algorithm, string password, byte[] salt)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(MaxPasswordBytes);
        var length = Encoding.UTF8.GetBytes(password, utf8);
        try
        {
            var hash = new byte[HashBytes];
            algorithm.DeriveBytes(utf8.AsSpan(0, length), salt, hash);
            return hash;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(utf8.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    private async Task<byte[]> RunAsync(Func<byte[]> work, CancellationToken ct)
    {
        if (!await _slots.WaitAsync(_queueTimeout, ct)) throw new PasswordHasherBusyException();
        try
        {
            return await Task.Run(work, ct);
        }
        finally
        {
            _slots.Release();
        }
    }

    private static string ToBase64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    /// <summary>Decodes unpadded base64, refusing padding and non-canonical encodings (trailing bits set).</summary>
    private static byte[]? FromBase64(string text)
    {
        if (text.Length is 0 or > 128 || text.Contains('=', StringComparison.Ordinal) || text.Length % 4 == 1) return null;
        var padded = text + new string('=', (4 - text.Length % 4) % 4);
        var buffer = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64String(padded, buffer, out var written)) return null;
        var bytes = buffer[..written];
        return ToBase64(bytes) == text ? bytes : null;
    }
}
