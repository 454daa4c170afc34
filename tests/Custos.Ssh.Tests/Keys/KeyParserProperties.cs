using Custos.Ssh.Keys;
using FsCheck.Xunit;

namespace Custos.Ssh.Tests.Keys;

/// <summary>Random and mutated input to the key parsers only ever raises the format exception.</summary>
public class KeyParserProperties
{
    private static readonly string[] TypeNames =
        ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521", "ssh-rsa", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss"];

    [Property(MaxTest = 300)]
    public void Random_bytes_given_to_the_public_key_parser_raise_only_the_format_exception(byte[] data) =>
        HostileInput.OnlyFormatErrors(data.Length, () => SshPublicKey.Parse(data));

    [Property(MaxTest = 300)]
    public void Random_fields_after_a_valid_key_type_raise_only_the_format_exception(int type, byte[] tail)
    {
        var writer = new Custos.Ssh.Wire.SshWriter();
        writer.WriteUtf8String(TypeNames[(int)((uint)type % (uint)TypeNames.Length)]);
        writer.WriteRaw(tail);
        byte[] data = writer.ToArray();
        HostileInput.OnlyFormatErrors(data.Length, () => SshPublicKey.Parse(data));
    }

    [Property(MaxTest = 500)]
    public void Mutated_public_keys_raise_only_the_format_exception(int sample, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        byte[] data = HostileInput.Mutate(HostileInput.Samples.Pick(HostileInput.Valid.Keys, sample), positions, values, lengthBomb, cut);
        HostileInput.OnlyFormatErrors(data.Length, () => SshPublicKey.Parse(data));
    }

    [Property(MaxTest = 300)]
    public void Random_and_mutated_public_key_lines_raise_only_the_format_exception(int sample, string? noise, int position)
    {
        string line = HostileInput.Valid.PublicKeyLines[(int)((uint)sample % (uint)HostileInput.Valid.PublicKeyLines.Length)];
        string text = noise is null ? line : line.Insert((int)((uint)position % (uint)(line.Length + 1)), noise);
        HostileInput.OnlyFormatErrors(text.Length, () => SshPublicKey.ParseText(text));
        HostileInput.OnlyFormatErrors(noise?.Length ?? 0, () => SshPublicKey.ParseText(noise ?? string.Empty));
    }

    [Property(MaxTest = 400)]
    public void Random_and_mutated_authorized_keys_lines_raise_only_the_format_exception(int sample, string? noise, int position, int cut)
    {
        string line = HostileInput.Valid.AuthorizedKeyLines[(int)((uint)sample % (uint)HostileInput.Valid.AuthorizedKeyLines.Length)];
        string text = noise is null ? line : line.Insert((int)((uint)position % (uint)(line.Length + 1)), noise);
        if (cut > 0)
        {
            text = text[..(cut % (text.Length + 1))];
        }

        HostileInput.OnlyFormatErrors(text.Length, () => AuthorizedKeyEntry.Parse(text));
        HostileInput.OnlyFormatErrors(noise?.Length ?? 0, () => AuthorizedKeyEntry.ParseFile(noise ?? string.Empty));
    }

    [Property(MaxTest = 400)]
    public void Mutated_private_key_files_raise_only_the_format_exception(int sample, int[] positions, byte[] values, int lengthBomb, int cut)
    {
        byte[] data = HostileInput.Mutate(HostileInput.Samples.Pick(HostileInput.Valid.PrivateKeys, sample), positions, values, lengthBomb, cut);
        string text = HostileInput.Armor("OPENSSH PRIVATE KEY", data);
        HostileInput.OnlyFormatErrors(data.Length, () => SshPrivateKey.Load(text)?.Dispose());
    }

    [Property(MaxTest = 300)]
    public void Random_PEM_private_keys_raise_only_the_format_exception(int label, byte[] body)
    {
        string[] labels = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "CERTIFICATE"];
        string text = HostileInput.Armor(labels[(int)((uint)label % (uint)labels.Length)], body);
        HostileInput.OnlyFormatErrors(body.Length, () => SshPrivateKey.Load(text)?.Dispose());
    }

    [Property(MaxTest = 100)]
    public void Random_text_given_as_a_private_key_file_raises_only_the_format_exception(string? text) =>
        HostileInput.OnlyFormatErrors(text?.Length ?? 0, () => SshPrivateKey.Load(text ?? string.Empty)?.Dispose());
}
