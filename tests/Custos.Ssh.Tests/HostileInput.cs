using System.Diagnostics;
using System.Text;
using Custos.Ssh.Certificates;
using Custos.Ssh.Keys;
using Custos.Ssh.Revocation;
using Custos.Ssh.Signatures;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests;

/// <summary>
/// Valid samples of every format and the checks the hostile-input properties share: a parser may only
/// raise <see cref="SshFormatException"/>, must finish quickly, and may not allocate much more than its input.
/// </summary>
internal static class HostileInput
{
    private static readonly Lazy<Samples> Lazy = new(() => new Samples());

    public static Samples Valid => Lazy.Value;

    /// <summary>Applies random edits to a sample: overwritten bytes, an optional huge length field, an optional truncation.</summary>
    public static byte[] Mutate(byte[] sample, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        byte[] data = (byte[])sample.Clone();
        for (int i = 0; i < positions.Length; i++)
        {
            int position = (int)((uint)positions[i] % (uint)data.Length);
            data[position] = values.Length == 0 ? (byte)positions[i] : values[i % values.Length];
        }

        if (lengthBomb != 0 && data.Length > 4)
        {
            int position = (int)((uint)lengthBomb % (uint)(data.Length - 4));
            uint huge = (lengthBomb & 1) == 0 ? 0xFFFFFFF0u : 0x7FFFFFFFu - (uint)(lengthBomb & 0xFF);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(position), huge);
        }

        if (cut > 0)
        {
            Array.Resize(ref data, cut % (data.Length + 1));
        }

        return data;
    }

    /// <summary>Runs a parser on hostile input and fails on any exception but the format exception, a hang or a large allocation.</summary>
    public static void OnlyFormatErrors(int inputLength, Action parse)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        try
        {
            parse();
        }
        catch (SshFormatException)
        {
        }

        clock.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        long budget = 256 * 1024 + 64L * inputLength;
        Assert.True(allocated <= budget, $"The parser allocated {allocated} bytes for {inputLength} bytes of input (budget {budget}).");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"The parser took {clock.Elapsed} on {inputLength} bytes.");
    }

    public static string Armor(string label, byte[] body) =>
        $"-----BEGIN {label}-----\n{Convert.ToBase64String(body, Base64FormattingOptions.InsertLineBreaks)}\n-----END {label}-----\n";

    public static byte[] Dearmor(string text) =>
        Convert.FromBase64String(string.Concat(text.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));

    /// <summary>One valid instance of each format, made once per test run.</summary>
    internal sealed class Samples
    {
        public Samples()
        {
            using SshPrivateKey ed = SshPrivateKey.Generate();
            using SshPrivateKey p256 = SshPrivateKey.Generate(SshKeyType.EcdsaP256);
            using SshPrivateKey p384 = SshPrivateKey.Generate(SshKeyType.EcdsaP384);
            using SshPrivateKey p521 = SshPrivateKey.Generate(SshKeyType.EcdsaP521);
            using SshPrivateKey rsa = SshPrivateKey.Generate(SshKeyType.Rsa, 2048);
            SshPrivateKey[] all = [ed, p256, p384, p521, rsa];
            byte[] data = "data"u8.ToArray();

            Keys = [.. all.Select(k => k.PublicKey.Blob.ToArray()), SecurityKey(ed, SshAlgorithmNames.SecurityKeyEd25519), SecurityKey(p256, SshAlgorithmNames.SecurityKeyEcdsaP256)];
            Signatures = [.. all.Select(k => k.Sign(data)), rsa.Sign(data, SshAlgorithmNames.RsaSha256),
                new SshSignature(SshAlgorithmNames.SecurityKeyEd25519, SshSignature.Parse(ed.Sign(data)).Signature, 1, 7).Encode()];
            Certificates = [.. Keys.Select((blob, i) => SshCertificate.Issue(new SshCertificateFields
            {
                Key = SshPublicKey.Parse(blob),
                Serial = (ulong)i + 1,
                KeyId = "sample",
                Principals = ["alice", "bob"],
                CriticalOptions = [new("force-command", "true"), new("source-address", "10.0.0.0/8")],
                Extensions = [new("permit-pty"), new("x@example.com", "v")],
            }, all[i % all.Length]).Blob.ToArray())];
            Krl = new KeyRevocationListBuilder { Version = 2, Comment = "sample" }
                .RevokeSerial(ed.PublicKey, 5).RevokeSerials(ed.PublicKey, 10, 20)
                .RevokeSerial(ed.PublicKey, 100).RevokeSerial(ed.PublicKey, 103).RevokeSerial(ed.PublicKey, 110)
                .RevokeKeyId(p256.PublicKey, "gone").RevokeKeyId(null, "anywhere")
                .RevokeKey(p384.PublicKey).RevokeKeySha1(p521.PublicKey).RevokeKeySha256(rsa.PublicKey)
                .Build(TimeProvider.System).Encode();
            PrivateKeys = [.. all.Select(k => Dearmor(k.ToOpenSshText("sample")))];
            AuthorizedKeyLines = [ed.PublicKey.ToText("plain"), "from=\"10.0.0.0/8\",command=\"echo \\\"x\\\"\",no-pty " + p256.PublicKey.ToText("c")];
            PublicKeyLines = [.. Keys.Select(k => SshPublicKey.Parse(k).ToText("comment"))];
        }

        public byte[][] Keys { get; }

        public byte[][] Signatures { get; }

        public byte[][] Certificates { get; }

        public byte[] Krl { get; }

        public byte[][] PrivateKeys { get; }

        public string[] AuthorizedKeyLines { get; }

        public string[] PublicKeyLines { get; }

        public static byte[] Pick(byte[][] samples, int index) => samples[(int)((uint)index % (uint)samples.Length)];

        private static byte[] SecurityKey(SshPrivateKey inner, string type)
        {
            var reader = new SshReader(inner.PublicKey.Blob.Span);
            reader.ReadString();
            var writer = new SshWriter();
            writer.WriteUtf8String(type);
            writer.WriteRaw(reader.RemainingSpan);
            writer.WriteString(Encoding.UTF8.GetBytes("ssh:"));
            return writer.ToArray();
        }
    }
}
