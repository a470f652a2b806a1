"""``ensure_profile`` moves an existing ``core.rabbitmq`` profile to ``enatom.rabbitmq`` and leaves others alone.

Runs in a subprocess with its own ``AIIDA_PATH`` (the test session has its own profile loaded). The profiles use
SQLite storage; RabbitMQ is not contacted when a profile is created or its broker entry changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from aiida.manage.configuration import create_profile, get_config
    from aiida_enatom.setup.profile import ensure_profile, use_aiida_path
    use_aiida_path(sys.argv[1])
    config = get_config(create=True)
    rmq = {'broker_protocol': 'amqp', 'broker_username': 'guest', 'broker_password': 'guest',
           'broker_host': '127.0.0.1', 'broker_port': 5672, 'broker_virtual_host': ''}
    create_profile(config, name='old', email='a@b', storage_backend='core.sqlite_dos', storage_config={},
                   broker_backend='core.rabbitmq', broker_config=rmq)
    create_profile(config, name='zmq', email='a@b', storage_backend='core.sqlite_dos', storage_config={},
                   broker_backend=None, broker_config=None)
    out = {}
    for name in ('old', 'zmq'):
        _, actions = ensure_profile(name, storage_backend='core.sqlite_dos', broker_backend='enatom.rabbitmq',
                                    broker_config=rmq)
        out[name] = [[action.kind, action.message] for action in actions]
    stored = json.load(open(config.filepath))['profiles']
    out['backends'] = {name: stored[name]['process_control'] for name in ('old', 'zmq')}
    print(json.dumps(out))
    """
)


def test_core_rabbitmq_profile_is_switched_with_its_configuration(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-c', SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out['backends']['old']['backend'] == 'enatom.rabbitmq'
    assert out['backends']['old']['config']['broker_port'] == 5672  # configuration kept
    assert any(kind == 'updated' and 'core.rabbitmq -> enatom.rabbitmq' in text for kind, text in out['old'])
    assert out['backends']['zmq']['backend'] is None  # another broker is only warned about, never changed
    assert any(kind == 'warning' and 'left as it is' in text for kind, text in out['zmq'])
