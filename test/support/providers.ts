// Every Leakstop process loads the provider modules at start-up (worker/wiring.ts, the triggers), which
// registers their credential kinds and secret formats for ids and redaction; every test file does too.
import '../../providers';
