//! Table-driven tests of the query language: the documented examples, every operator in both
//! spellings, logic and precedence, and the error messages.

use super::*;

/// A hand-filled instance.
#[derive(Clone)]
struct Facts {
    attributes: Vec<(&'static str, &'static str)>,
    id: &'static str,
    connected: bool,
    version: Option<&'static str>,
    registered_at: Option<i64>,
    running: u64,
    groups: Vec<&'static str>,
}

impl Default for Facts {
    fn default() -> Self {
        Facts {
            attributes: vec![],
            id: "i-abcd1234",
            connected: true,
            version: Some("1.14.5"),
            registered_at: Some(1_529_360_908), // 2018-06-18T22:28:28Z
            running: 0,
            groups: vec![],
        }
    }
}

impl Facts {
    fn attr(mut self, name: &'static str, value: &'static str) -> Self {
        self.attributes.push((name, value));
        self
    }
    fn groups(mut self, groups: &[&'static str]) -> Self {
        self.groups = groups.to_vec();
        self.running = groups.len() as u64;
        self
    }
}

impl InstanceFacts for Facts {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
    fn ec2_instance_id(&self) -> &str {
        self.id
    }
    fn agent_connected(&self) -> bool {
        self.connected
    }
    fn agent_version(&self) -> Option<&str> {
        self.version
    }
    fn registered_at(&self) -> Option<i64> {
        self.registered_at
    }
    fn running_tasks_count(&self) -> u64 {
        self.running
    }
    fn any_task_group(&self, test: &mut dyn FnMut(&str) -> bool) -> bool {
        self.groups.iter().any(|g| test(g))
    }
}

fn eval(source: &str, facts: &Facts) -> bool {
    Expression::parse(source)
        .unwrap_or_else(|e| panic!("{source}: {e}"))
        .matches(facts)
}

fn t2_small_1a() -> Facts {
    Facts::default()
        .attr("ecs.instance-type", "t2.small")
        .attr("ecs.availability-zone", "us-east-1a")
        .attr("ecs.os-family", "WINDOWS_SERVER_2022_CORE")
}

fn g2_2xlarge_1d() -> Facts {
    Facts::default()
        .attr("ecs.instance-type", "g2.2xlarge")
        .attr("ecs.availability-zone", "us-east-1d")
}

/// ecs-semantics.md §2.4: all 15 documented example expressions, each with an instance it
/// must select and one it must not.
#[test]
fn documented_examples_parse_and_evaluate() {
    let old = Facts {
        version: Some("1.14.4"),
        registered_at: Some(1_518_000_000), // 2018-02-07
        ..t2_small_1a()
    };
    let g2_1b = Facts::default()
        .attr("ecs.instance-type", "g2.8xlarge")
        .attr("ecs.availability-zone", "us-east-1b");
    let t2_medium_1c = Facts::default()
        .attr("ecs.instance-type", "t2.medium")
        .attr("ecs.availability-zone", "us-east-1c");
    let prod = Facts::default().attr("stack", "prod");
    let dev = Facts::default().attr("stack", "dev");
    let unlabeled = Facts::default();
    let cases: Vec<(&str, Facts, Facts)> = vec![
        (
            "attribute:ecs.instance-type == t2.small",
            t2_small_1a(),
            t2_medium_1c.clone(),
        ),
        (
            "attribute:ecs.availability-zone in [us-east-1a, us-east-1b]",
            g2_1b.clone(),
            t2_medium_1c.clone(),
        ),
        (
            "attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d",
            g2_1b.clone(),
            g2_2xlarge_1d(),
        ),
        (
            "task:group == service:production",
            Facts::default().groups(&["service:production"]),
            Facts::default().groups(&["service:staging"]),
        ),
        (
            "not(task:group == database)",
            Facts::default().groups(&["web"]),
            Facts::default().groups(&["web", "database"]),
        ),
        (
            "runningTasksCount == 1",
            Facts::default().groups(&["a"]),
            Facts::default().groups(&["a", "b"]),
        ),
        ("agentVersion < 1.14.5", old.clone(), t2_small_1a()),
        ("registeredAt < 2018-02-13", old.clone(), t2_small_1a()),
        (
            "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']",
            t2_small_1a(),
            Facts {
                id: "i-00000000",
                ..Facts::default()
            },
        ),
        (
            "attribute:ecs.instance-type =~ t2.*",
            t2_medium_1c.clone(),
            g2_1b.clone(),
        ),
        (
            "task:group == databases",
            Facts::default().groups(&["databases"]),
            Facts::default(),
        ),
        ("attribute:stack == prod", prod.clone(), dev.clone()),
        ("attribute:stack != prod", dev.clone(), unlabeled.clone()),
        (
            "attribute:ecs.instance-type in [t2.small, t2.medium]",
            t2_medium_1c.clone(),
            g2_1b.clone(),
        ),
        (
            "attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a",
            t2_small_1a(),
            t2_medium_1c.clone(),
        ),
        (
            "attribute:ecs.os-family == WINDOWS_SERVER_2022_CORE",
            t2_small_1a(),
            g2_1b.clone(),
        ),
    ];
    for (source, selected, rejected) in cases {
        assert!(eval(source, &selected), "{source} should select");
        assert!(!eval(source, &rejected), "{source} should reject");
    }
    // `attribute:stack != prod` also rejects the prod instance itself.
    assert!(!eval("attribute:stack != prod", &prod));
}

#[test]
fn every_operator_in_both_spellings() {
    let f = t2_small_1a()
        .attr("cores", "8")
        .groups(&["service:web", "family:batch"]);
    // (symbol form, word form, expected)
    let cases = [
        ("attribute:cores == 8", "attribute:cores equals 8", true),
        (
            "attribute:cores != 8",
            "attribute:cores not_equals 8",
            false,
        ),
        (
            "attribute:cores > 4",
            "attribute:cores greater_than 4",
            true,
        ),
        (
            "attribute:cores > 10",
            "attribute:cores greater_than 10",
            false,
        ),
        (
            "attribute:cores >= 8",
            "attribute:cores greater_than_equal 8",
            true,
        ),
        ("attribute:cores < 8", "attribute:cores less_than 8", false),
        (
            "attribute:cores <= 8",
            "attribute:cores less_than_equal 8",
            true,
        ),
        (
            "attribute:cores =~ [0-9]+",
            "attribute:cores matches [0-9]+",
            true,
        ),
        (
            "attribute:cores !~ [0-9]+",
            "attribute:cores not_matches [0-9]+",
            false,
        ),
        ("attribute:cores exists", "attribute:cores exists", true),
        ("attribute:gpu !exists", "attribute:gpu not_exists", true),
        (
            "attribute:cores in [4, 8]",
            "attribute:cores in [4, 8]",
            true,
        ),
        (
            "attribute:cores !in [4, 8]",
            "attribute:cores not_in [4, 8]",
            false,
        ),
        (
            "task:group == service:web",
            "task:group equals service:web",
            true,
        ),
        (
            "task:group != service:web",
            "task:group not_equals service:web",
            false,
        ),
        (
            "task:group != service:api",
            "task:group not_equals service:api",
            true,
        ),
        (
            "task:group =~ family:.*",
            "task:group matches family:.*",
            true,
        ),
        (
            "task:group !~ family:.*",
            "task:group not_matches family:.*",
            false,
        ),
        (
            "task:group in [service:api, family:batch]",
            "task:group in [service:api, family:batch]",
            true,
        ),
        (
            "task:group !in [service:api]",
            "task:group not_in [service:api]",
            true,
        ),
        ("task:group exists", "task:group exists", true),
        ("task:group !exists", "task:group not_exists", false),
        ("agentConnected == true", "agentConnected equals true", true),
        (
            "agentConnected != true",
            "agentConnected not_equals true",
            false,
        ),
        (
            "agentConnected in [false]",
            "agentConnected in [false]",
            false,
        ),
        (
            "agentConnected !in [false]",
            "agentConnected not_in [false]",
            true,
        ),
        ("agentConnected =~ t.*", "agentConnected matches t.*", true),
        (
            "agentConnected !~ t.*",
            "agentConnected not_matches t.*",
            false,
        ),
        ("agentVersion == 1.14.5", "agentVersion equals 1.14.5", true),
        (
            "agentVersion != 1.14.5",
            "agentVersion not_equals 1.14.5",
            false,
        ),
        (
            "agentVersion > 1.9.0",
            "agentVersion greater_than 1.9.0",
            true,
        ),
        (
            "agentVersion >= 1.14.6",
            "agentVersion greater_than_equal 1.14.6",
            false,
        ),
        ("agentVersion < 1.100", "agentVersion less_than 1.100", true),
        (
            "agentVersion <= 1.14.5",
            "agentVersion less_than_equal 1.14.5",
            true,
        ),
        (
            "ec2InstanceId == i-abcd1234",
            "ec2InstanceId equals i-abcd1234",
            true,
        ),
        (
            "ec2InstanceId != i-abcd1234",
            "ec2InstanceId not_equals i-abcd1234",
            false,
        ),
        (
            "ec2InstanceId in [i-1, i-abcd1234]",
            "instanceId in [i-1, i-abcd1234]",
            true,
        ),
        (
            "ec2InstanceId !in [i-1]",
            "ec2InstanceId not_in [i-1]",
            true,
        ),
        (
            "ec2InstanceId =~ i-abcd.*",
            "ec2InstanceId matches i-abcd.*",
            true,
        ),
        (
            "ec2InstanceId !~ i-abcd.*",
            "ec2InstanceId not_matches i-abcd.*",
            false,
        ),
        (
            "registeredAt == 2018-06-18",
            "registeredAt equals 2018-06-18",
            true,
        ),
        (
            "registeredAt != 2018-06-18",
            "registeredAt not_equals 2018-06-18",
            false,
        ),
        (
            "registeredAt > 2018-06-18T22:28:27Z",
            "registeredAt greater_than 2018-06-18T22:28:27Z",
            true,
        ),
        (
            "registeredAt >= 2018-06-19",
            "registeredAt greater_than_equal 2018-06-19",
            false,
        ),
        (
            "registeredAt < 2018-06-18T22:28:29+00:00",
            "registeredAt less_than 2018-06-18T22:28:29+00:00",
            true,
        ),
        (
            "registeredAt <= 2018-06-18T22:28:28",
            "registeredAt less_than_equal 2018-06-18T22:28:28",
            true,
        ),
        ("runningTasksCount == 2", "runningTasksCount equals 2", true),
        (
            "runningTasksCount != 2",
            "runningTasksCount not_equals 2",
            false,
        ),
        (
            "runningTasksCount > 1",
            "runningTasksCount greater_than 1",
            true,
        ),
        (
            "runningTasksCount >= 3",
            "runningTasksCount greater_than_equal 3",
            false,
        ),
        (
            "runningTasksCount < 3",
            "runningTasksCount less_than 3",
            true,
        ),
        (
            "runningTasksCount <= 1",
            "runningTasksCount less_than_equal 1",
            false,
        ),
        (
            "runningTasksCount in [0, 2]",
            "runningTasksCount in [0, 2]",
            true,
        ),
    ];
    for (symbol, word, expected) in cases {
        assert_eq!(eval(symbol, &f), expected, "{symbol}");
        assert_eq!(eval(word, &f), expected, "{word}");
    }
}

#[test]
fn missing_values_satisfy_only_not_exists() {
    let bare = Facts {
        version: None,
        registered_at: None,
        ..Facts::default()
    };
    for source in [
        "attribute:stack == prod",
        "attribute:stack != prod",
        "attribute:stack > 1",
        "attribute:stack =~ .*",
        "attribute:stack !~ x",
        "attribute:stack in [a]",
        "attribute:stack !in [a]",
        "attribute:stack exists",
        "agentVersion < 99",
        "agentVersion != 1",
        "registeredAt < 2100-01-01",
        "task:group == a",
        "task:group exists",
    ] {
        assert!(!eval(source, &bare), "{source}");
    }
    for source in [
        "attribute:stack !exists",
        "task:group != a",
        "task:group !exists",
    ] {
        assert!(eval(source, &bare), "{source}");
    }
}

#[test]
fn equality_is_string_equality_but_ordering_is_numeric() {
    let f = Facts::default().attr("cores", "10").attr("name", "b");
    assert!(!eval("attribute:cores == 10.0", &f));
    assert!(eval("attribute:cores > 9", &f), "10 > 9 numerically");
    assert!(
        eval("attribute:name > a", &f),
        "strings order lexicographically"
    );
    assert!(
        eval("attribute:cores < a", &f),
        "number vs text falls back to text order"
    );
}

#[test]
fn patterns_match_the_whole_value() {
    let f = t2_small_1a();
    assert!(eval("attribute:ecs.instance-type =~ t2.*", &f));
    assert!(!eval("attribute:ecs.instance-type =~ t2", &f));
    assert!(!eval("attribute:ecs.instance-type =~ small", &f));
    assert!(eval("attribute:ecs.instance-type =~ m5.*|t2.*", &f));
    assert!(eval(
        "attribute:ecs.instance-type =~ 't2\\.(small|medium)'",
        &f
    ));
}

#[test]
fn logic_precedence_and_spellings() {
    let f = t2_small_1a();
    let cases = [
        // NOT > AND > OR
        (
            "attribute:a exists or attribute:ecs.instance-type == t2.small and attribute:b exists",
            false,
        ),
        (
            "attribute:ecs.instance-type == t2.small or attribute:a exists and attribute:b exists",
            true,
        ),
        (
            "(attribute:ecs.instance-type == t2.small or attribute:a exists) and attribute:b exists",
            false,
        ),
        (
            "not attribute:a exists and attribute:ecs.instance-type == t2.small",
            true,
        ),
        (
            "!attribute:a exists && attribute:ecs.instance-type == t2.small",
            true,
        ),
        (
            "! (attribute:a exists || attribute:ecs.instance-type == t2.small)",
            false,
        ),
        (
            "NOT(attribute:a exists) AND attribute:ecs.instance-type == t2.small",
            true,
        ),
        ("not(not(attribute:ecs.instance-type == t2.small))", true),
        ("((((attribute:ecs.instance-type == t2.small))))", true),
        (
            "attribute:ecs.instance-type==t2.small&&attribute:ecs.availability-zone==us-east-1a",
            true,
        ),
        ("attribute:ecs.instance-type == 't2.small'", true),
        ("attribute:ecs.instance-type == \"t2.small\"", true),
        ("attribute:ecs.instance-type in ['t2.small','x']", true),
        ("  attribute:ecs.instance-type   ==   t2.small  ", true),
    ];
    for (source, expected) in cases {
        assert_eq!(eval(source, &f), expected, "{source}");
    }
}

#[test]
fn parse_errors_name_position_and_expectation() {
    // (input, column, fragment of `expected`, found)
    let cases = [
        ("", 1, "a subject", "end of input"),
        ("attribute:", 11, "an attribute name", "end of input"),
        ("attribute:x", 12, "an operator", "end of input"),
        ("attribute:x = y", 13, "an operator", "'='"),
        ("attribute:x is y", 13, "an operator", "'is'"),
        ("attribute:x == ", 16, "a value", "end of input"),
        ("attribute:x == [a]", 16, "a single value", "'['"),
        ("attribute:x in a", 16, "'['", "'a'"),
        ("attribute:x in []", 17, "at least one value", "']'"),
        ("attribute:x in [a b]", 19, "',' or ']'", "'b'"),
        ("attribute:x in [a,", 19, "a value", "end of input"),
        ("attribute:x == 'abc", 20, "a closing '", "end of input"),
        ("attribute:x =~ (", 16, "a value", "'('"),
        (
            "attribute:x =~ a[",
            16,
            "a valid regular expression",
            "'a['",
        ),
        (
            "attribute:x =~ 'a['",
            16,
            "a valid regular expression",
            "'a['",
        ),
        (
            "attribute:x exists y",
            20,
            "'and', 'or' or end of input",
            "'y'",
        ),
        (
            "(attribute:x exists",
            20,
            "'and', 'or' or ')'",
            "end of input",
        ),
        (
            "attribute:x exists)",
            19,
            "'and', 'or' or end of input",
            "')'",
        ),
        ("attribute:x exists and", 23, "a subject", "end of input"),
        ("foo == bar", 1, "a subject", "'foo'"),
        (
            "memberOf(attribute:x exists)",
            1,
            "without the memberOf",
            "'memberOf'",
        ),
        (
            "runningTasksCount == abc",
            22,
            "a non-negative integer for runningTasksCount",
            "'abc'",
        ),
        (
            "runningTasksCount =~ 1.*",
            19,
            "an operator that runningTasksCount supports",
            "'=~'",
        ),
        ("agentVersion >= latest", 17, "a version", "'latest'"),
        ("registeredAt < yesterday", 16, "a date", "'yesterday'"),
        ("agentConnected == yes", 19, "true or false", "'yes'"),
        (
            "ec2InstanceId > i-1",
            15,
            "an operator that ec2InstanceId supports",
            "'>'",
        ),
        (
            "registeredAt exists",
            14,
            "an operator that registeredAt supports",
            "'exists'",
        ),
        (
            "task:group >= a",
            12,
            "an operator that task:group supports",
            "'>='",
        ),
        ("attribute:x == a &&", 20, "a subject", "end of input"),
        ("attribute:é == a", 11, "an attribute name", "'é'"),
        ("attribute:x == é and é", 22, "a subject", "'é'"),
    ];
    for (source, column, expected, found) in cases {
        let err = Expression::parse(source).expect_err(source);
        assert_eq!(err.position, column, "{source}: {err}");
        assert!(err.expected.contains(expected), "{source}: {err}");
        assert_eq!(err.found, found, "{source}: {err}");
    }
}

#[test]
fn error_display_reads_well() {
    let err = Expression::parse("attribute:x is y").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid expression at column 13: expected an operator (==, !=, >, >=, <, <=, =~, !~, \
         exists, !exists, in, !in, or a word form such as equals, not_equals, greater_than, \
         matches, not_in), found 'is'"
    );
}

#[test]
fn input_length_and_nesting_are_bounded() {
    let long = format!("attribute:x == {}", "a".repeat(2000));
    let err = Expression::parse(&long).unwrap_err();
    assert_eq!(err.position, 2001);

    let deep = format!("{}attribute:x exists{}", "(".repeat(40), ")".repeat(40));
    let err = Expression::parse(&deep).unwrap_err();
    assert!(err.expected.contains("nested"), "{err}");
    let nots = format!("{}attribute:x exists", "!".repeat(100));
    assert!(Expression::parse(&nots).is_err());
    let ok = format!("{}attribute:x exists{}", "(".repeat(32), ")".repeat(32));
    assert!(Expression::parse(&ok).is_ok());

    // A flat chain as long as the limit allows parses and evaluates without deep recursion.
    let chain = vec!["attribute:x exists"; 90].join(" or ");
    assert!(chain.len() <= 2000);
    let expr = Expression::parse(&chain).unwrap();
    assert!(!expr.matches(&Facts::default()));
    // Garbage never panics.
    for junk in [
        "!",
        "!!",
        "(",
        ")",
        "[",
        "'",
        "\"",
        "&&",
        "||",
        "not",
        "!=",
        "!~ a",
        "((",
        "attribute:x in [",
        "\u{0}",
    ] {
        assert!(Expression::parse(junk).is_err(), "{junk:?}");
    }
}

#[test]
fn task_dependence_is_detected() {
    for (source, depends) in [
        ("attribute:a exists", false),
        ("ec2InstanceId == i-1 or agentVersion > 1", false),
        ("not(task:group == db)", true),
        ("attribute:a exists and runningTasksCount < 3", true),
    ] {
        assert_eq!(
            Expression::parse(source).unwrap().depends_on_tasks(),
            depends,
            "{source}"
        );
    }
}
