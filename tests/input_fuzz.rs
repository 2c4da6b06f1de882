//! Fuzzing the two parsers that take user text: the cluster query language (memberOf
//! expressions, up to ECS's 2000 characters) and the ECS JSON import. Every input — random,
//! grammar-shaped, mutated from real files, deeply nested, over the limit — must return (Ok
//! or Err) without a panic, within a time bound and a memory bound, measured here with a
//! counting allocator. `ECS_FAULTS=long` runs ten times the cases.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use ecs_operator::import::{Options, import_services, import_task_definition};
use ecs_operator::placement::Expression;
use ecs_operator::placement::query::InstanceFacts;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};

/// Bytes allocated and not yet freed by this thread, and the high-water mark since the
/// last reset: per thread, so the other tests' input generation does not count.
struct Counting;

thread_local! {
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let _ = CURRENT.try_with(|c| {
                let now = c.get() + layout.size() as isize;
                c.set(now);
                let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
            });
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        let _ = CURRENT.try_with(|c| c.set(c.get() - layout.size() as isize));
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, returning how long it took and the most memory it held above the baseline.
fn measured<T>(f: impl FnOnce() -> T) -> (T, Duration, usize) {
    let base = CURRENT.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let peak = PEAK.with(Cell::get);
    (out, took, (peak - base).max(0) as usize)
}

/// Limits per input (debug build, loaded machine): generous, but a hang or a blow-up fails.
const TIME_BOUND: Duration = Duration::from_millis(500);
const QUERY_MEMORY_BOUND: usize = 4 << 20;
/// Import inputs are up to 64 KiB (the task definition limit); memory stays within 64×.
const IMPORT_MEMORY_FACTOR: usize = 64;

fn cases(short: u32) -> u32 {
    if std::env::var("ECS_FAULTS").is_ok_and(|m| m == "long") {
        short * 10
    } else {
        short
    }
}

struct Facts;
impl InstanceFacts for Facts {
    fn attribute(&self, name: &str) -> Option<&str> {
        match name {
            "ecs.availability-zone" => Some("zone-a"),
            "ecs.instance-type" => Some("m5.large"),
            _ => None,
        }
    }
    fn ec2_instance_id(&self) -> &str {
        "i-0123"
    }
    fn agent_connected(&self) -> bool {
        true
    }
    fn agent_version(&self) -> Option<&str> {
        Some("1.70.0")
    }
    fn registered_at(&self) -> Option<i64> {
        Some(1_700_000_000)
    }
    fn running_tasks_count(&self) -> u64 {
        3
    }
    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool {
        test("service:web")
    }
}

/// Tokens of the query language, so generated text gets past the lexer and deep into the
/// parser, mixed with noise.
fn query_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("attribute:ecs.availability-zone".to_owned()),
        Just("attribute:ecs.instance-type".to_owned()),
        Just("ec2InstanceId".to_owned()),
        Just("agentConnected".to_owned()),
        Just("agentVersion".to_owned()),
        Just("registeredAt".to_owned()),
        Just("runningTasksCount".to_owned()),
        Just("task:group".to_owned()),
        Just("==".to_owned()),
        Just("!=".to_owned()),
        Just(">".to_owned()),
        Just(">=".to_owned()),
        Just("<".to_owned()),
        Just("<=".to_owned()),
        Just("=~".to_owned()),
        Just("!~".to_owned()),
        Just("exists".to_owned()),
        Just("!exists".to_owned()),
        Just("in".to_owned()),
        Just("not".to_owned()),
        Just("and".to_owned()),
        Just("or".to_owned()),
        Just("&&".to_owned()),
        Just("||".to_owned()),
        Just("!".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just("*".to_owned()),
        Just("t2.*".to_owned()),
        Just("2024-01-01T00:00:00Z".to_owned()),
        Just("1.2.3".to_owned()),
        "[a-z0-9.*-]{1,12}",
        "[ -~]{1,4}",
        "\\PC{1,3}",
    ]
}

fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(query_token(), 0..260).prop_map(|t| t.join(" ")),
        ".{0,2100}",
        (1usize..1100).prop_map(|n| "(".repeat(n) + &")".repeat(n)),
        (1usize..700).prop_map(|n| "not ".repeat(n) + "agentConnected == true"),
        (1usize..300).prop_map(|n| {
            let item = "attribute:ecs.availability-zone in [a, b, c]";
            vec![item; n].join(" or ")
        }),
        (1usize..2000).prop_map(|n| format!("attribute:x =~ {}", "(a*)*".repeat(n / 5 + 1))),
    ]
}

/// Runs `cases` generated inputs through `check`, which returns (chars, time, memory) or
/// a failure; prints the largest time and memory seen (collected into
/// docs/reliability.md).
fn fuzz<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    check: impl Fn(&S::Value) -> Result<(usize, Duration, usize), TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let worst = std::cell::RefCell::new((0usize, Duration::ZERO, 0usize, 0usize));
    let mut runner = proptest::test_runner::TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let result = runner.run(&strategy, |input| {
        let (size, took, memory) = check(&input)?;
        let mut w = worst.borrow_mut();
        *w = (w.0.max(size), w.1.max(took), w.2.max(memory), w.3 + 1);
        Ok(())
    });
    let (size, took, memory, runs) = *worst.borrow();
    println!(
        "FAULTS {name} cases={runs} largest_input={size} max_millis={:.3} max_bytes_held={memory}",
        took.as_secs_f64() * 1000.0
    );
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn query_language_parses_any_text_within_bounds() {
    fuzz("query-language", cases(2000), query_text(), |source| {
        let chars = source.chars().count();
        let (parsed, took, memory) =
            measured(|| Expression::parse(source).map(|e| e.matches(&Facts)));
        prop_assert!(took < TIME_BOUND, "{chars} chars took {took:?}");
        prop_assert!(
            memory < QUERY_MEMORY_BOUND,
            "{chars} chars held {memory} bytes"
        );
        if chars > 2000 {
            prop_assert!(
                parsed.is_err(),
                "over the 2000-character limit must be refused"
            );
        }
        Ok((chars, took, memory))
    });
}

/// Real ECS JSON the import is meant for, as seeds for mutation.
fn seeds() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/import");
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("testdata/import")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect();
    out.sort();
    out
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::json!(f)),
        "\\PC{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(6, 200, 8, |inner| {
        let keys = prop_oneof![
            Just("taskDefinition".to_owned()),
            Just("containerDefinitions".to_owned()),
            Just("family".to_owned()),
            Just("services".to_owned()),
            Just("serviceName".to_owned()),
            Just("name".to_owned()),
            Just("image".to_owned()),
            Just("portMappings".to_owned()),
            Just("cpu".to_owned()),
            Just("memory".to_owned()),
            Just("deploymentConfiguration".to_owned()),
            Just("placementConstraints".to_owned()),
            Just("taskDefinitionArn".to_owned()),
            Just("revision".to_owned()),
            Just("secrets".to_owned()),
            Just("volumes".to_owned()),
            "[a-zA-Z]{1,10}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys, inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Mutations of a real document: cut, splice bytes in, duplicate a slice, change a value.
fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    (
        0..seeds.len(),
        any::<usize>(),
        any::<usize>(),
        "\\PC{0,16}",
        0u8..4,
    )
        .prop_map(move |(i, a, b, insert, how)| {
            let s = &seeds[i];
            let chars: Vec<char> = s.chars().collect();
            let (a, b) = (a % (chars.len() + 1), b % (chars.len() + 1));
            let (lo, hi) = (a.min(b), a.max(b));
            let head: String = chars[..lo].iter().collect();
            let mid: String = chars[lo..hi].iter().collect();
            let tail: String = chars[hi..].iter().collect();
            match how {
                0 => head,
                1 => format!("{head}{insert}{tail}"),
                2 => format!("{head}{mid}{mid}{tail}"),
                _ => format!("{head}{insert}{mid}{tail}"),
            }
        })
}

fn import_input() -> impl Strategy<Value = String> {
    prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        json_value().prop_map(|v| serde_json::json!({"taskDefinition": v}).to_string()),
        json_value().prop_map(|v| serde_json::json!({"services": [v]}).to_string()),
        mutated(seeds()),
        (1usize..20_000).prop_map(|n| "[".repeat(n)),
        (1usize..5_000).prop_map(|n| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n))),
        ".{0,300}",
    ]
}

#[test]
fn ecs_json_import_takes_any_input_within_bounds() {
    fuzz("ecs-json-import", cases(1500), import_input(), |input| {
        let options = Options::default();
        let (_, took, memory) = measured(|| {
            let a = import_task_definition(input, &options).is_ok();
            let b = import_services(input, &options).is_ok();
            (a, b)
        });
        let bound = IMPORT_MEMORY_FACTOR * input.len().max(16 << 10);
        prop_assert!(took < TIME_BOUND * 4, "{} bytes took {took:?}", input.len());
        prop_assert!(memory < bound, "{} bytes held {memory} bytes", input.len());
        Ok((input.len(), took, memory))
    });
}

/// The real documents themselves import (the seeds are meaningful).
#[test]
fn seeds_are_real_ecs_json() {
    let options = Options::default();
    let ok = seeds()
        .iter()
        .filter(|s| {
            import_task_definition(s, &options).is_ok() || import_services(s, &options).is_ok()
        })
        .count();
    assert_eq!(ok, seeds().len());
    for seed in seeds() {
        let (_, took, memory) = measured(|| {
            (
                import_task_definition(&seed, &options).is_ok(),
                import_services(&seed, &options).is_ok(),
            )
        });
        eprintln!("seed {} bytes: {took:?}, {memory} bytes", seed.len());
    }
}
