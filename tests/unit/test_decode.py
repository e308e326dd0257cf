"""Decoding audio files: every common layout comes out as float32 mono 16 kHz; bad files give one sentence."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxpad.audio.decode import AudioFileDamaged, AudioFileStream, audio_duration, load_audio_file
from voxpad.errors import AudioFileError

TONE_HZ = 440.0
SECONDS = 1.5


def tone(rate: int, channels: int = 1, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * SECONDS)) / rate
    wave = (amplitude * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
    return np.stack([wave] * channels, axis=1) if channels > 1 else wave


def dominant_frequency(samples: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


def assert_one_sentence(error: AudioFileError, mentions: str) -> None:
    message = str(error)
    assert message.endswith("."), message
    assert "\n" not in message and "Traceback" not in message
    assert mentions in message


@pytest.mark.parametrize(
    ("name", "rate", "channels", "subtype"),
    [
        ("pcm16_16k.wav", 16000, 1, "PCM_16"),
        ("unsigned8.wav", 16000, 1, "PCM_U8"),
        ("pcm24.wav", 16000, 1, "PCM_24"),
        ("float32.wav", 16000, 1, "FLOAT"),
        ("stereo.wav", 16000, 2, "PCM_16"),
        ("cd_44k1_stereo.wav", 44100, 2, "PCM_16"),
        ("phone_8k.wav", 8000, 1, "PCM_16"),
        ("studio_48k.flac", 48000, 1, "PCM_24"),
        ("vorbis.ogg", 22050, 2, "VORBIS"),
        ("lame.mp3", 44100, 1, "MPEG_LAYER_III"),
    ],
)
def test_formats_decode_to_mono_16k_float(tmp_path: Path, name: str, rate: int, channels: int, subtype: str) -> None:
    path = tmp_path / name
    sf.write(path, tone(rate, channels), rate, subtype=subtype)

    samples = load_audio_file(path)

    assert samples.dtype == np.float32 and samples.ndim == 1
    # mp3 and vorbis add encoder delay/padding; PCM must be exact to a few samples.
    assert abs(len(samples) / 16000 - SECONDS) < (0.1 if subtype in ("VORBIS", "MPEG_LAYER_III") else 0.002)
    assert abs(dominant_frequency(samples) - TONE_HZ) < 5
    rms = float(np.sqrt(np.mean(samples[1000:-1000] ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.1)  # stereo is averaged, not summed
    assert abs(audio_duration(path) - SECONDS) < 0.1


def test_real_speech_file_decodes(jfk_wav: Path) -> None:
    samples = load_audio_file(jfk_wav)
    assert len(samples) == 11 * 16000
    assert 0.1 < float(np.abs(samples).max()) <= 1.0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(tmp_path / "nowhere.wav")
    assert_one_sentence(caught.value, "does not exist")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(tmp_path)
    assert_one_sentence(caught.value, "is a folder")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.touch()
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(path)
    assert_one_sentence(caught.value, "is empty")


def test_wav_with_no_samples(tmp_path: Path) -> None:
    path = tmp_path / "header_only.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(path)
    assert_one_sentence(caught.value, "no sound")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("random.wav", np.random.default_rng(7).bytes(30_000)),
        ("random.bin", np.random.default_rng(8).bytes(30_000)),
        ("notes.wav", b"Shopping list: eggs, milk, bread.\n" * 20),
        # FFmpeg takes this for a lyrics (.lrc) file: a container with no audio stream.
        ("lyrics.mp3", b"[00:01.00]la la la\n[00:02.00]la la\n"),
    ],
)
def test_not_audio(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(path)
    assert_one_sentence(caught.value, name)
    with pytest.raises(AudioFileError):
        audio_duration(path)


def _load_as_unprivileged_user(path: Path) -> str:
    """Run load_audio_file in a forked child that dropped root, so file permissions apply."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                assert path.exists()  # the folder is open to us; only the file is not
                load_audio_file(path)
                message = "loaded"
            except AudioFileError as exc:
                message = str(exc)
            os.write(write_end, message.encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    message = os.read(read_end, 4096).decode()
    os.close(read_end)
    assert os.waitstatus_to_exitcode(status) == 0
    return message


def test_unreadable_file(jfk_wav: Path) -> None:
    # Not tmp_path: pytest's base folder is private to root, and the file itself must be the obstacle.
    with tempfile.TemporaryDirectory() as folder:
        os.chmod(folder, 0o755)
        path = Path(folder) / "secret.wav"
        path.write_bytes(jfk_wav.read_bytes())
        path.chmod(0)
        message = _load_unreadable(path)
    assert "not allowed to read" in message and message.endswith(".")


def _load_unreadable(path: Path) -> str:
    if os.geteuid() == 0:
        # Root reads anything, so check from a child process that gave up root.
        message = _load_as_unprivileged_user(path)
    else:
        with pytest.raises(AudioFileError) as caught:
            load_audio_file(path)
        message = str(caught.value)
    return message


# -- streaming: the same samples, block by block -------------------------------------------------


@pytest.mark.parametrize(("rate", "channels", "subtype", "suffix"), [
    (8000, 1, "PCM_U8", "wav"), (44100, 2, "PCM_24", "wav"), (96000, 8, "PCM_32", "wav"),
    (48000, 1, "PCM_24", "flac"), (22050, 2, "VORBIS", "ogg"), (44100, 1, "MPEG_LAYER_III", "mp3"),
])
def test_stream_gives_the_same_samples_as_a_whole_decode(tmp_path: Path, rate, channels, subtype, suffix) -> None:
    path = tmp_path / f"tone.{suffix}"
    long_tone = np.concatenate([tone(rate, channels)] * 8)  # 12 s: several blocks
    sf.write(path, long_tone, rate, subtype=subtype)
    stream = AudioFileStream(path, block_seconds=2.0)
    blocks = list(stream)
    assert len(blocks) >= 5 and all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    assert stream.largest_block <= 2.0 * 16000 + 4608  # a block, plus at most one codec frame
    assert np.array_equal(np.concatenate(blocks), load_audio_file(path))
    assert stream.fraction_read == 1.0  # and no AudioFileDamaged: a whole file is not called cut off
    assert stream.seconds_read == pytest.approx(12.0, abs=0.1)


# -- files cut off part-way: every good block first, then one sentence -----------------------------


def _encode_with_pyav(path: Path, samples: np.ndarray, codec: str, **options: str) -> None:
    """Write ``samples`` (16 kHz mono float) with FFmpeg's own encoder, as phones and recorders do."""
    import av

    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
    with av.open(str(path), "w", options=options) as out:
        stream = out.add_stream(codec, rate=16000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)


def _write(path: Path, samples: np.ndarray) -> None:
    """``samples`` in the format ``path``'s name asks for, written by the tool that usually writes it."""
    kind = path.name.split(".", 1)[1]
    if kind == "m4a":  # moov first, as phones and most tools write it for playback while downloading
        _encode_with_pyav(path, samples, "aac", movflags="+faststart")
    elif kind in ("opus", "webm"):
        _encode_with_pyav(path, samples, "libopus")
    elif kind == "opus.ogg":
        sf.write(path, samples, 16000, subtype="OPUS")
    else:  # wav, flac, aiff, vorbis ogg, mp3 (LAME, with its Info frame)
        sf.write(path, samples, 16000)


def _cut_copy(source: Path, folder: Path, fraction: float) -> Path:
    cut = folder / f"cut.{source.name.split('.', 1)[1]}"
    data = source.read_bytes()
    cut.write_bytes(data[: int(len(data) * fraction)])
    return cut


def _read_until_it_breaks(path: Path) -> tuple[np.ndarray, AudioFileDamaged]:
    stream = AudioFileStream(path)
    blocks = []
    with pytest.raises(AudioFileDamaged) as caught:
        for block in stream:
            blocks.append(block)
    return np.concatenate(blocks), caught.value


# Formats whose container states the length, so the sentence can say how much was expected.
STATED_LENGTH = ["jfk.wav", "jfk.flac", "jfk.aiff", "jfk.mp3", "jfk.m4a", "jfk.webm"]
# Ogg states no length; its missing end-of-stream page still gives the cut away.
UNSTATED_LENGTH = ["jfk.ogg", "jfk.opus", "jfk.opus.ogg"]


@pytest.mark.parametrize("name", STATED_LENGTH + UNSTATED_LENGTH)
def test_a_whole_file_is_not_called_cut_off(tmp_path: Path, jfk_wav: Path, name: str) -> None:
    path = tmp_path / name
    _write(path, sf.read(jfk_wav, dtype="float32")[0])
    assert len(np.concatenate(list(AudioFileStream(path)))) / 16000 == pytest.approx(11.0, abs=0.2)


@pytest.mark.parametrize("name", STATED_LENGTH + UNSTATED_LENGTH)
def test_a_file_cut_off_part_way_gives_what_is_there_then_one_sentence(tmp_path: Path, jfk_wav: Path,
                                                                       name: str) -> None:
    whole = tmp_path / name
    _write(whole, sf.read(jfk_wav, dtype="float32")[0])
    cut = _cut_copy(whole, tmp_path, 0.55)
    samples, damage = _read_until_it_breaks(cut)
    seconds = len(samples) / 16000
    assert 4.0 < seconds < 7.5  # about 55 % of 11 s: everything before the cut arrives
    assert damage.position == pytest.approx(seconds)
    expected = f"The file {cut} is cut off at 0:0{int(seconds)}"
    expected += " of 0:11." if name in STATED_LENGTH else "."
    assert str(damage) == expected
    assert_one_sentence(damage, cut.name)


def test_a_cut_off_wav_is_found_from_its_header(tmp_path: Path, speech_clips) -> None:
    # FFmpeg works a WAV's length out from the file's size, so only the header's data size tells.
    for source, _ in speech_clips:
        cut = _cut_copy(source, tmp_path, 0.5)
        declared = sf.info(source).duration
        samples, damage = _read_until_it_breaks(cut)
        assert len(samples) == (cut.stat().st_size - 44) // 2  # every whole sample that is there
        assert str(damage).endswith(f" of {int(declared) // 60}:{int(declared) % 60:02d}.")


def test_a_wav_cut_off_before_its_sound_says_so(tmp_path: Path, jfk_wav: Path) -> None:
    cut = tmp_path / "cut.wav"
    cut.write_bytes(jfk_wav.read_bytes()[:44])
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(cut)
    assert str(caught.value) == f"The file {cut} is cut off before any of its 0:11 of sound."


def test_load_audio_file_refuses_a_cut_off_file(tmp_path: Path, jfk_wav: Path) -> None:
    with pytest.raises(AudioFileDamaged) as caught:
        load_audio_file(_cut_copy(jfk_wav, tmp_path, 0.5))
    assert "cut off at 0:05 of 0:11" in str(caught.value)


def test_wav_headers_that_do_not_know_their_length_are_not_called_cut_off(tmp_path: Path, jfk_wav: Path) -> None:
    data = bytearray(jfk_wav.read_bytes())
    assert data[36:40] == b"data"
    for unknown in (0xFFFFFFFF, 0x7FFFF000):  # a writer streaming to a pipe; sox's "unspecified"
        data[40:44] = unknown.to_bytes(4, "little")
        path = tmp_path / "streamed.wav"
        path.write_bytes(bytes(data))
        assert len(load_audio_file(path)) == 11 * 16000


def test_wav_with_extra_chunks_is_read_to_its_data_chunk(tmp_path: Path, jfk_wav: Path) -> None:
    path = tmp_path / "tagged.wav"
    with sf.SoundFile(path, "w", 16000, 1, "PCM_16") as out:  # libsndfile writes a LIST chunk for these
        out.title, out.artist = "Inaugural address", "JFK"
        out.write(sf.read(jfk_wav, dtype="float32")[0])
    assert b"LIST" in path.read_bytes()[:400]
    assert len(load_audio_file(path)) == 11 * 16000
    samples, damage = _read_until_it_breaks(_cut_copy(path, tmp_path, 0.5))
    assert str(damage).endswith("is cut off at 0:05 of 0:11.")


def test_an_m4a_cut_off_before_its_index_is_one_sentence(tmp_path: Path, jfk_wav: Path) -> None:
    whole = tmp_path / "memo.m4a"
    _encode_with_pyav(whole, sf.read(jfk_wav, dtype="float32")[0], "aac")  # index ('moov') last: FFmpeg's default
    cut = _cut_copy(whole, tmp_path, 0.6)
    with pytest.raises(AudioFileError) as caught:
        load_audio_file(cut)
    assert str(caught.value) == f"The file {cut} is cut off before its index (written last), so none of it can be read."


@pytest.mark.parametrize("what", ["missing", "random", "header-only"])
def test_stream_of_a_bad_file_is_one_sentence(tmp_path: Path, what: str) -> None:
    path = tmp_path / "bad.wav"
    if what == "random":
        path.write_bytes(np.random.default_rng(2).bytes(20_000))
    elif what == "header-only":
        sf.write(path, np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioFileError) as caught:
        list(AudioFileStream(path))
    assert_one_sentence(caught.value, "bad.wav")
