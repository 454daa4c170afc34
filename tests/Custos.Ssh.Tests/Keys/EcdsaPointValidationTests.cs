using System.Numerics;
using System.Security.Cryptography;
using Custos.Ssh.Keys;
using Custos.Ssh.Wire;

namespace Custos.Ssh.Tests.Keys;

/// <summary>Our curve-equation check of ECDSA points agrees with OpenSSL's own import check.</summary>
public class EcdsaPointValidationTests
{
    public static TheoryData<SshKeyType, string> Cases()
    {
        var data = new TheoryData<SshKeyType, string>();
        foreach (SshKeyType type in new[] { SshKeyType.EcdsaP256, SshKeyType.EcdsaP384, SshKeyType.EcdsaP521 })
        {
            foreach (string change in new[] { "none", "negate-y", "y-plus-one", "x-all-ones", "zero" })
            {
                data.Add(type, change);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_point_is_accepted_exactly_when_OpenSSL_accepts_it(SshKeyType type, string change)
    {
        using SshPrivateKey key = SshPrivateKey.Generate(type);
        var reader = new SshReader(key.PublicKey.Blob.Span);
        string algorithm = reader.ReadUtf8String();
        string curveName = reader.ReadUtf8String();
        byte[] q = reader.ReadString().ToArray();
        int size = (q.Length - 1) / 2;
        using ECDsa sample = ECDsa.Create(Curve(type));
        var p = new BigInteger(sample.ExportExplicitParameters(false).Curve.Prime, isUnsigned: true, isBigEndian: true);
        var y = new BigInteger(q.AsSpan(1 + size), isUnsigned: true, isBigEndian: true);
        BigInteger? newY = change switch { "negate-y" => p - y, "y-plus-one" => y + 1, _ => null };
        if (newY is { } value && value.GetByteCount(isUnsigned: true) <= size)
        {
            q.AsSpan(1 + size).Clear();
            value.TryWriteBytes(q.AsSpan(1 + size + size - value.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        }
        else if (change == "x-all-ones")
        {
            q.AsSpan(1, size).Fill(0xFF);
        }
        else if (change == "zero")
        {
            q.AsSpan(1).Clear();
        }

        bool openSslAccepts;
        try
        {
            using ECDsa imported = ECDsa.Create(new ECParameters { Curve = Curve(type), Q = new ECPoint { X = q[1..(1 + size)], Y = q[(1 + size)..] } });
            openSslAccepts = true;
        }
        catch (CryptographicException)
        {
            openSslAccepts = false;
        }

        var writer = new SshWriter();
        writer.WriteUtf8String(algorithm);
        writer.WriteUtf8String(curveName);
        writer.WriteString(q);
        bool weAccept;
        try
        {
            SshPublicKey.Parse(writer.WrittenSpan);
            weAccept = true;
        }
        catch (SshFormatException)
        {
            weAccept = false;
        }

        Assert.Equal(openSslAccepts, weAccept);
        Assert.Equal(change is "none" or "negate-y", weAccept);
    }

    private static ECCurve Curve(SshKeyType type) => type switch
    {
        SshKeyType.EcdsaP256 => ECCurve.NamedCurves.nistP256,
        SshKeyType.EcdsaP384 => ECCurve.NamedCurves.nistP384,
        _ => ECCurve.NamedCurves.nistP521,
    };
}
