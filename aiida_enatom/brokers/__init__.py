"""Broker plugins: aiida-core's RabbitMQ broker with one daemon worker per process (see :mod:`.rabbitmq`)."""
